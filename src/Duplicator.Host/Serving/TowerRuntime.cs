using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Images;
using Duplicator.Actors.Recorders;
using Duplicator.Actors.Supervision;
using Duplicator.Drivers.Imapi;
using Duplicator.Host.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Duplicator.Host.Serving;

/// <summary>Key of the tower supervisor in Akka.Hosting's actor registry.</summary>
public sealed class TowerKey;

/// <summary>
/// Builds the tower host from a <see cref="TowerConfig"/>: Microsoft.Extensions.Hosting with Akka.Hosting (the actor
/// system, the batch ledger's journal, the tower supervisor), and <see cref="TowerService"/> for the control API and
/// the hot folder. Used by <c>duplicator serve</c> and by <c>duplicator burn</c> when no host is running.
/// </summary>
public static class TowerRuntime
{
    /// <summary>The generic host for <paramref name="config"/>; <paramref name="frontEnds"/> false runs the tower alone (in-process burn).</summary>
    public static IHost Build(TowerConfig config, bool frontEnds = true)
    {
        // One ledger, one writer: locked before anything opens the ledger or the stash, held until the host is disposed.
        var storageLock = StorageLock.Acquire(config, frontEnds ? $"duplicator serve, control API {config.Control.Listen}" : "duplicator burn, tower in-process");
        try
        {
            return Build(config, frontEnds, storageLock);
        }
        catch
        {
            storageLock.Dispose();
            throw;
        }
    }

    private static IHost Build(TowerConfig config, bool frontEnds, StorageLock storageLock)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (config.LogFormat == "json")
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        else
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        var level = Enum.Parse<LogLevel>(config.LogLevel, ignoreCase: true);
        builder.Logging.SetMinimumLevel(level);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddSingleton(config);
        builder.Services.AddSingleton(_ => storageLock); // a factory registration, so the container disposes it with the host
        builder.Services.AddSingleton<TowerHealth>();
        builder.Services.AddSingleton<TowerTelemetry>();
        if (frontEnds) builder.Services.AddSystemd(); // under systemd (Type=notify): READY=1 once started, STOPPING=1 on stop; elsewhere nothing
        // Under systemd AddSystemd picks its own console format (journald priorities); a json one asked for stays json.
        if (config.LogFormat == "json")
            builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName = Microsoft.Extensions.Logging.Console.ConsoleFormatterNames.Json);
        // A floor of towers: every ledger connection names this incarnation (the fence refuses a downed one's writes).
        var incarnation = config.Cluster is { } floor ? FloorWiring.Incarnation(floor) : null;
        var persistence = Persistence(incarnation is null ? config.Storage : config.Storage with { ConnectionString = FloorWiring.TagConnection(config.Storage.ConnectionString!, incarnation) });
        var akkaLevel = level switch
        {
            LogLevel.Trace or LogLevel.Debug => "DEBUG",
            LogLevel.Information => "INFO",
            LogLevel.Warning => "WARNING",
            _ => "ERROR",
        };
        builder.Services.AddAkka("duplicator", (akka, _) =>
        {
            // The host's stop runs the coordinated shutdown (Akka.Hosting's StopAsync) while the logger factory is alive;
            // Akka's own process-exit hook could run it a second time after the factory is disposed, and its lines then
            // came out as plain text in a json log (seen once in CI).
            akka.AddHocon(persistence.WithFallback(ConfigurationFactory.ParseString($"akka.loglevel = {akkaLevel}\nakka.log-dead-letters = off\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = off")), HoconAddMode.Prepend);
            akka.ConfigureLoggers(l =>
            {
                l.ClearLoggers();
                l.AddLoggerFactory();
            });
            var drives = config.Drives.Select(d => new Tower.DriveSpec(d.Id, d.Url, () => RecorderLocator.Open(d.Url))).ToArray();
            var settings = Tower.Settings.Default(config.StashDirectory) with { QuarantineAfter = config.Defaults.QuarantineAfter };
            // Serving the API and the hot folder, staging follows links only within the roots those may name
            // (docs/threat-model.md); the in-process burn stages the operator's own files as `master` does.
            if (frontEnds)
                settings = settings with { Staging = settings.Staging with { LinkRoots = [.. ServedRoots(config)] } };
            if (incarnation is null)
                akka.WithActors((system, registry) => registry.Register<TowerKey>(system.ActorOf(Tower.Props(drives, settings), "tower")));
            else // a floor: the router is the cluster singleton, TowerKey its proxy
            {
                FloorWiring.Configure(akka, config, incarnation, () => FloorWiring.RouterProps(drives, settings));
                akka.WithActors((system, registry) => FloorWiring.StartAgent(system, registry.Get<TowerKey>(), config, drives, settings));
            }
        });
        builder.Services.AddSingleton<TowerService>(sp => new TowerService(sp.GetRequiredService<IRequiredActor<TowerKey>>(), sp.GetRequiredService<ActorSystem>(),
            config, frontEnds, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TowerHealth>(), sp.GetRequiredService<StorageLock>(),
            sp.GetRequiredService<TowerTelemetry>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TowerService>());
        return builder.Build();
    }

    /// <summary>Folders the control API's and the hot folder's jobs may read: the allowed roots, and the hot folder when it is on.</summary>
    public static IEnumerable<string> ServedRoots(TowerConfig config) =>
        config.Control.AllowedRoots.Concat(config.HotFolder.Enabled ? [config.HotFolder.Path] : []).Select(Path.GetFullPath);

    /// <summary>The journal configuration for the configured storage.</summary>
    public static Config Persistence(StorageConfig storage)
    {
        if (StorageConfig.IsPostgres(storage.Provider))
            return PersistenceConfig.Sql("PostgreSQL", storage.ConnectionString!);
        if (!StorageConfig.IsSqlite(storage.Provider))
            throw new ConfigException("storage", [$"storage:provider: '{storage.Provider}' is not one of sqlite, postgres"]);
        if (string.IsNullOrWhiteSpace(storage.ConnectionString)) return PersistenceConfig.Sqlite(storage.Path);
        if (StorageLock.LedgerFile(storage) is { } file) LedgerFile.CheckOrCreate(file); // a file that is not a ledger is refused here too
        return PersistenceConfig.Sql("SQLite.MS", storage.ConnectionString);
    }
}
