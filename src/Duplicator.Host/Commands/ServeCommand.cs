using System.CommandLine;
using System.Runtime.InteropServices;
using Duplicator.Host.Configuration;
using Duplicator.Host.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Duplicator.Host.Commands;

/// <summary><c>duplicator serve [--config FILE]</c>: runs the tower host until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "the tower's config file", DefaultValueFactory = _ => "config/duplicator.json" };
        var cmd = new Command("serve", "run the tower: drives, batch ledger, control API and hot folder; resumes unfinished batches") { config };
        cmd.SetAction(parse => Cli.Run(ct =>
        {
            var tower = ConfigLoader.Load(parse.GetValue(config)!); // an invalid config stops here, naming the key
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                stop.Cancel();
            });
            using var host = TowerRuntime.Build(tower);
            var health = host.Services.GetRequiredService<TowerHealth>();
            using var failed = health.Failed.Register(stop.Cancel); // a dead ledger stops the host (TowerHealth)
            Exception? startFailed = null;
            try
            {
                try
                {
                    host.StartAsync(stop.Token).GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is not OperationCanceledException || health.Failure == null)
                {
                    startFailed = e;
                    if (StartFailure.Describe(e, tower) is { } said) throw said;
                    throw;
                }
                stop.Token.WaitHandle.WaitOne();
            }
            catch (OperationCanceledException) when (health.Failure != null)
            {
            }
            finally
            {
                try
                {
                    host.StopAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
                }
                catch (Exception) when (startFailed != null || health.Failure != null)
                {
                    // A host whose start failed before its services were resolved fails its own stop (Host.StopAsync
                    // reverses a list it never got: "ArgumentNullException (Parameter 'source')", seen in CI in place
                    // of the real cause); the start's failure, or the health failure that stopped it, is the one to report.
                }
            }
            if (health.Failure is { } why)
            {
                Console.Error.WriteLine($"duplicator: {why}");
                return ExitCodes.Failed;
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
