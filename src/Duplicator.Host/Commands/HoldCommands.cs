using System.CommandLine;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary>
/// <c>duplicator pause [BATCH]</c>, <c>resume [BATCH]</c>, <c>hold DRIVE</c>, <c>release DRIVE</c>: the operator's
/// holds on the running host named by the config (the control API's <c>/api/tower/pause</c>, <c>/resume</c>,
/// <c>/api/batches/{id}/pause</c>, <c>/resume</c>, <c>/api/drives/{id}/hold</c>, <c>/release</c>).
/// </summary>
internal static class HoldCommands
{
    public static Command Pause() => BatchOrTower("pause", "stop starting new discs (of one batch, or of the whole tower); discs burning finish; it holds across restarts", true);

    public static Command Resume() => BatchOrTower("resume", "start discs again (of one batch, or of the whole tower)", false);

    public static Command Hold() => Drive("hold", "take a drive out of service without counting a failure (it finishes its disc first) until released", true);

    public static Command Release() => Drive("release", "put a held drive back in service", false);

    private static Option<string> Config() =>
        new("--config") { Description = "the tower's config file (its control.listen says where the host is)", DefaultValueFactory = _ => "config/duplicator.json" };

    private static Command BatchOrTower(string name, string description, bool pause)
    {
        var config = Config();
        var batch = new Argument<string?>("batch") { Description = "the batch id; none: the whole tower", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command(name, description) { batch, config };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var id = parse.GetValue(batch);
            if (id is { } given && (string.IsNullOrWhiteSpace(given) || given.Any(char.IsControl)))
                throw new UsageException($"{name}: the batch id is empty or holds control characters");
            using var client = Connect(parse.GetValue(config)!, ct);
            if (id is null)
            {
                var tower = client.PauseTowerAsync(pause, ct).GetAwaiter().GetResult();
                Console.WriteLine(tower.Paused ? $"tower paused ({tower.Reason}): no new disc starts; discs burning finish" : "tower running");
            }
            else
            {
                var b = client.PauseBatchAsync(id, pause, ct).GetAwaiter().GetResult().Batch;
                Console.WriteLine($"batch {b.Id}: {b.State}, {b.Good} of {b.Copies} good");
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Command Drive(string name, string description, bool hold)
    {
        var config = Config();
        var drive = new Argument<string>("drive") { Description = "the drive id from the config" };
        var cmd = new Command(name, description) { drive, config };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var id = parse.GetValue(drive)!;
            if (string.IsNullOrWhiteSpace(id) || id.Any(char.IsControl))
                throw new UsageException($"{name}: the drive id is empty or holds control characters");
            using var client = Connect(parse.GetValue(config)!, ct);
            var d = client.HoldDriveAsync(id, hold, ct).GetAwaiter().GetResult();
            Console.WriteLine($"drive {d.Id}: {d.State}{(d.Held ? ", held" : "")}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static ControlClient Connect(string configPath, CancellationToken ct)
    {
        var tower = ConfigLoader.Load(configPath);
        var client = new ControlClient(tower.Control.Listen, tower.Control.Token);
        if (client.IsRunningAsync(ct).GetAwaiter().GetResult()) return client;
        client.Dispose();
        throw new ImapiException(ImapiError.DeviceNotAccessible, $"no duplicator host answers at {tower.Control.Listen} (start one with: duplicator serve)");
    }
}
