using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Duplicator.Host.Configuration;
using Npgsql;

namespace Duplicator.Host.Serving;

/// <summary>
/// What the cluster singleton runs: the fence in front of the floor's router. Only the node hosting the router may
/// write the router's journal, and a tower the floor downed may write nothing at all, even if it wakes up still
/// believing it is the router (SIGSTOP, a partition). Before the router starts (before its recovery) the fence takes the
/// floor's writer lock, a session-level advisory lock (<see cref="FloorLockKey"/>) on its own unpooled connection, held
/// while the singleton lives. When another incarnation holds it: if the cluster has downed or removed that one (it is
/// no member any more), the fence records it in <c>duplicator_fenced</c> and ends its lock's backend
/// (<c>pg_terminate_backend</c> of the pid recorded in <c>duplicator_floor</c>) before taking the lock; while the
/// holder is still a member (a hand-over under way) it waits. A trigger on the journal and snapshot tables refuses every
/// write of a session whose application name (every ledger connection carries its incarnation,
/// <see cref="FloorWiring.TagConnection"/>) is fenced, so a woken tower's first write fails, its host stops.
/// </summary>
public static class FloorFence
{
    /// <summary>The floor's writer lock ("DupFloor" in ASCII): held by the router's node.</summary>
    public const long FloorLockKey = 0x4475_7046_6C6F_6F72;

    /// <summary>The transaction lock key around the fence's DDL ("DupFence").</summary>
    public const long SchemaLockKey = 0x4475_7046_656E_6365;

    /// <summary>What the fence needs: who this is, and the ledger.</summary>
    /// <param name="Tower">This tower's id.</param>
    /// <param name="Incarnation">This process's incarnation (<see cref="FloorWiring.Incarnation"/>).</param>
    /// <param name="ConnectionString">The ledger's connection string.</param>
    public sealed record Settings(string Tower, string Incarnation, string ConnectionString)
    {
        /// <summary>How long to wait between two tries while the lock's holder is still a member.</summary>
        public TimeSpan Retry { get; init; } = TimeSpan.FromMilliseconds(250);

        /// <summary>How often the holder renews its lease (the <c>beat</c> of <c>duplicator_floor</c>).</summary>
        public TimeSpan Beat { get; init; } = TimeSpan.FromMilliseconds(500);

        /// <summary>
        /// How long since the holder's last renewal before another tower may fence it, even when its own view of the
        /// cluster says the holder is gone. A tower woken from a freeze sees the others unreachable for a moment and
        /// once downed them in its own view; the lease (checked on the server's clock) keeps it from fencing a live
        /// router. Default: the failure detector's pause plus the resolver's stable-after, the least time a tower the
        /// floor really downed has been silent.
        /// </summary>
        public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(4);

        /// <summary>The settings of <paramref name="config"/>'s tower.</summary>
        public static Settings Of(TowerConfig config, string incarnation) => new(config.Cluster!.Tower, incarnation, config.Storage.ConnectionString ?? "")
        {
            Lease = config.Cluster!.DownedAfterSilence,
        };
    }

    /// <summary>Props of the fence around <paramref name="router"/>.</summary>
    public static Props Props(Settings settings, Props router) => Akka.Actor.Props.Create(() => new FloorFenceActor(settings, router));

    /// <summary>The fence's tables and trigger, made idempotently (under the floor lock).</summary>
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS duplicator_floor (id integer PRIMARY KEY, tower text NOT NULL, incarnation text NOT NULL, backend_pid integer NOT NULL, since timestamptz NOT NULL);
        ALTER TABLE duplicator_floor ADD COLUMN IF NOT EXISTS beat timestamptz NOT NULL DEFAULT now();
        CREATE TABLE IF NOT EXISTS duplicator_fenced (incarnation text PRIMARY KEY, tower text NOT NULL, at timestamptz NOT NULL DEFAULT now(), reason text NOT NULL);
        CREATE OR REPLACE FUNCTION duplicator_fence() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF EXISTS (SELECT 1 FROM duplicator_fenced WHERE incarnation = current_setting('application_name', true)) THEN
            RAISE EXCEPTION 'duplicator: tower incarnation % was downed by the floor and is fenced off the ledger', current_setting('application_name', true);
          END IF;
          RETURN COALESCE(NEW, OLD);
        END $$;
        """;

    /// <summary>The tables the trigger guards, when they exist (the journal makes them on first use).</summary>
    internal static readonly string[] Guarded = ["journal", "snapshot"];

    /// <summary>
    /// Takes the floor lock on <paramref name="c"/>, fencing a holder that is no member (<paramref name="isMember"/>
    /// false for its incarnation) and whose lease ran out (<see cref="Settings.Lease"/>); false when the holder is
    /// still a member or still renews its lease (try again later).
    /// </summary>
    internal static bool TryTake(NpgsqlConnection c, Settings s, Func<string, bool> isMember, Action<string> log)
    {
        // Two routers may start at once during a handover: the DDL runs one at a time (CREATE ... IF NOT EXISTS is not
        // safe concurrently), under a transaction lock of its own, never the floor lock a live router holds.
        Execute(c, $"BEGIN; SELECT pg_advisory_xact_lock({SchemaLockKey}); {Schema} COMMIT;");
        if (!Scalar<bool>(c, $"SELECT pg_try_advisory_lock({FloorLockKey})"))
        {
            string? holder = null;
            int pid = 0;
            double silent = 0;
            // The holder's silence on the server's clock: the towers' clocks need not agree.
            using (var cmd = new NpgsqlCommand("SELECT incarnation, backend_pid, extract(epoch FROM clock_timestamp() - beat)::float8 FROM duplicator_floor WHERE id = 1", c))
            using (var r = cmd.ExecuteReader())
                if (r.Read())
                {
                    holder = r.GetString(0);
                    pid = r.GetInt32(1);
                    silent = r.GetDouble(2);
                }
            if (holder is null || isMember(holder)) return false;
            if (silent < s.Lease.TotalSeconds)
            {
                log(string.Create(CultureInfo.InvariantCulture,
                    $"floor: not fencing {holder}: no member in this tower's view, but it renewed its lease {silent:F1} s ago (lease {s.Lease.TotalSeconds:F1} s); this view may be stale (a tower woken from a freeze)"));
                return false;
            }
            Execute(c, "INSERT INTO duplicator_fenced (incarnation, tower, reason) VALUES (@i, @t, @r) ON CONFLICT (incarnation) DO NOTHING",
                ("i", holder), ("t", FloorWiring.TowerOf(holder)), ("r", $"downed by the floor; fenced by {s.Incarnation}"));
            // Only the backend that is that incarnation's lock (a pid may have been reused by now). Waits up to 5 s for it
            // to exit (PostgreSQL 14+): without the wait the lock was often still held a moment later (seen in CI).
            var ended = Scalar<bool>(c, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) > 0 FROM pg_stat_activity WHERE pid = @p AND application_name = @a",
                ("p", pid), ("a", LockName(holder)));
            log($"floor: fenced {holder} off the ledger (it is no member of the floor){(ended ? $" and ended its lock's backend {pid}" : "")}");
            if (!Scalar<bool>(c, $"SELECT pg_try_advisory_lock({FloorLockKey})")) return false;
        }
        Execute(c, """
            INSERT INTO duplicator_floor (id, tower, incarnation, backend_pid, since, beat) VALUES (1, @t, @i, pg_backend_pid(), now(), clock_timestamp())
            ON CONFLICT (id) DO UPDATE SET tower = EXCLUDED.tower, incarnation = EXCLUDED.incarnation, backend_pid = EXCLUDED.backend_pid, since = EXCLUDED.since, beat = EXCLUDED.beat
            """, ("t", s.Tower), ("i", s.Incarnation));
        Guard(c);
        return true;
    }

    /// <summary>Renews the holder's lease; false when the floor's record names another holder.</summary>
    internal static bool Renew(NpgsqlConnection c, string incarnation)
    {
        using var cmd = new NpgsqlCommand("UPDATE duplicator_floor SET beat = clock_timestamp() WHERE id = 1 AND incarnation = @i", c);
        cmd.Parameters.AddWithValue("i", incarnation);
        return cmd.ExecuteNonQuery() == 1;
    }

    /// <summary>Puts the trigger on each guarded table there is; true when all are guarded.</summary>
    internal static bool Guard(NpgsqlConnection c)
    {
        var all = true;
        foreach (var table in Guarded)
        {
            if (!Scalar<bool>(c, "SELECT to_regclass(@t) IS NOT NULL", ("t", table)))
            {
                all = false;
                continue;
            }
            Execute(c, $"CREATE OR REPLACE TRIGGER duplicator_fence BEFORE INSERT OR UPDATE OR DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION duplicator_fence()");
        }
        return all;
    }

    /// <summary>Whether <paramref name="c"/>'s session still holds the floor lock.</summary>
    internal static bool Holds(NpgsqlConnection c) =>
        Scalar<long>(c, $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = {FloorLockKey}") > 0;

    /// <summary>The application name of an incarnation's floor-lock connection.</summary>
    internal static string LockName(string incarnation) => incarnation + " floor lock";

    internal static NpgsqlConnection Connect(Settings s)
    {
        var b = new NpgsqlConnectionStringBuilder(s.ConnectionString) { Pooling = false, ApplicationName = LockName(s.Incarnation) };
        if (!new NpgsqlConnectionStringBuilder(s.ConnectionString).ContainsKey("Timeout")) b.Timeout = 10;
        var c = new NpgsqlConnection(b.ConnectionString);
        c.Open();
        return c;
    }

    private static T Scalar<T>(NpgsqlConnection c, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        return (T)cmd.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection c, string sql, params (string Name, object Value)[] args)
    {
        using var cmd = new NpgsqlCommand(sql, c);
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v);
        cmd.ExecuteNonQuery();
    }
}

internal sealed class FloorFenceActor : UntypedActor, IWithStash, IWithTimers
{
    private sealed record Taken(NpgsqlConnection Connection);
    private sealed record NotYet(string? Why);
    private sealed record Try
    {
        public static Try Instance { get; } = new();
    }
    private sealed record Checked(bool Guarded, string? Lost);
    private sealed record GuardCheck
    {
        public static GuardCheck Instance { get; } = new();
    }

    private readonly FloorFence.Settings _settings;
    private readonly Props _routerProps;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    // The router retries every 250 ms while a holder's lease is fresh: one line every 2 s says it (with how many it held back).
    private readonly LogEvery _waiting = new(TimeSpan.FromSeconds(2));
    private NpgsqlConnection? _lock;
    private IActorRef? _router;
    private bool _guarded;
    private bool _checking;

    public FloorFenceActor(FloorFence.Settings settings, Props router)
    {
        _settings = settings;
        _routerProps = router;
    }

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() => Self.Tell(Try.Instance);

    // Before the lock: everything for the router waits.
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Try:
                var settings = _settings;
                var cluster = Akka.Cluster.Cluster.Get(Context.System);
                var log = _log;
                var waiting = _waiting;
                Task.Run(() =>
                {
                    NpgsqlConnection? c = null;
                    try
                    {
                        c = FloorFence.Connect(settings);
                        if (FloorFence.TryTake(c, settings, inc => IsMember(cluster, inc), m => waiting.Say(m, line => log.Warning(line)))) return (object)new Taken(c);
                        c.Dispose();
                        return new NotYet(null);
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
                    {
                        c?.Dispose();
                        return new NotYet(e.Message.ReplaceLineEndings(" "));
                    }
                }).PipeTo(Self);
                break;
            case NotYet n:
                if (n.Why != null) _log.Warning("floor: the router waits for the floor's writer lock: {0}", n.Why);
                Timers.StartSingleTimer("try", Try.Instance, _settings.Retry);
                break;
            case Taken t:
                _lock = t.Connection;
                _router = Context.ActorOf(_routerProps, "router");
                Context.Watch(_router);
                _log.Info("floor: the router runs on this tower ({0}, incarnation {1}), holding the floor's writer lock", _settings.Tower, _settings.Incarnation);
                Timers.StartPeriodicTimer("guard", GuardCheck.Instance, _settings.Beat);
                Self.Tell(GuardCheck.Instance);
                Become(Running);
                Stash.UnstashAll();
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void Running(object message)
    {
        switch (message)
        {
            case Terminated t when t.ActorRef.Equals(_router):
                Context.Stop(Self);
                break;
            case GuardCheck when !_checking:
                // The journal makes its tables on first use: guard them once they are there (the lock serialises this).
                // And the lock must still be held: a router whose lock went (its backend ended by a fencing tower, the
                // server gone) stops the host, as the ledger's own lock does. The SQL runs on a task, never on the
                // dispatcher; one check at a time on the lock's connection.
                _checking = true;
                var connection = _lock!;
                var guarded = _guarded;
                var incarnation = _settings.Incarnation;
                Task.Run(() =>
                {
                    try
                    {
                        var all = guarded || FloorFence.Guard(connection);
                        if (!FloorFence.Holds(connection)) return new Checked(all, "the floor's writer lock is no longer held");
                        return new Checked(all, FloorFence.Renew(connection, incarnation) ? null : "the floor's record names another holder");
                    }
                    catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
                    {
                        return new Checked(guarded, $"the floor's writer lock's connection failed: {e.Message.ReplaceLineEndings(" ")}");
                    }
                }).PipeTo(Self);
                break;
            case GuardCheck:
                break;
            case Checked c:
                _checking = false;
                _guarded = c.Guarded;
                if (c.Lost != null)
                {
                    Duplicator.Actors.Batches.JournalFailed.Publish(Context.System, "floor-router", "fence", new IOException(c.Lost));
                    Context.Stop(Self);
                }
                break;
            default:
                _router.Forward(message);
                break;
        }
    }

    // A member is any incarnation the cluster has not downed or removed.
    private static bool IsMember(Akka.Cluster.Cluster cluster, string incarnation) =>
        cluster.State.Members.Any(m => m.Status is not (MemberStatus.Down or MemberStatus.Removed)
                                       && m.Roles.Contains(FloorWiring.IncarnationRolePrefix + incarnation));

    protected override void PostStop() => _lock?.Dispose(); // the lock goes with its connection
}

/// <summary>Lets one line through per <paramref name="every"/>, saying how many like it were held back (thread-safe: the fence logs from a task).</summary>
internal sealed class LogEvery(TimeSpan every)
{
    private readonly object _gate = new();
    private long _next;
    private int _held;

    public void Say(string line, Action<string> log)
    {
        int held;
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (now < _next)
            {
                _held++;
                return;
            }
            _next = now + (long)every.TotalMilliseconds;
            (held, _held) = (_held, 0);
        }
        log(held == 0 ? line : $"{line} ({held} more like it in the last {every.TotalSeconds:0.#} s)");
    }
}
