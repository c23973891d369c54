using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Duplicator.Host.Tests.Serving;

/// <summary>
/// A private PostgreSQL server for the tests: Debian's postgresql package (scripts/install-deps.sh installs it),
/// initdb in a temp folder, a free loopback port, trust authentication for one user, stopped and removed on dispose.
/// As root it runs as the package's `postgres` user (the server refuses to run as root).
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string User = "duplicator";
    private readonly string _bin;
    private readonly string _dir;
    private readonly bool _asRoot = Environment.UserName == "root";

    public PostgresServer()
    {
        _bin = FindBin();
        _dir = Directory.CreateTempSubdirectory("dup-pg-").FullName;
        Port = Duplicator.Tests.FreePorts.Next();
        if (_asRoot) Run("chown", "postgres", _dir);
        RunAs(Path.Combine(_bin, "initdb"), "-D", DataDir, "-A", "trust", "-U", User, "--no-sync", "-E", "UTF8");
        Start();
    }

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; }

    private string DataDir => Path.Combine(_dir, "data");

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public string NewDatabase(string name)
    {
        using (var c = new NpgsqlConnection(ConnectionString("postgres")))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", c);
            cmd.ExecuteNonQuery();
        }
        return ConnectionString(name);
    }

    /// <summary>The connection string of <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database) => $"Host=127.0.0.1;Port={Port};Username={User};Database={database};Pooling=false";

    /// <summary>Runs one SQL command on <paramref name="database"/> and returns its first value.</summary>
    public object? Scalar(string database, string sql)
    {
        using var c = new NpgsqlConnection(ConnectionString(database));
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }

    /// <summary>Starts the server (again) on the same data and port.</summary>
    public void Start() => RunAs(Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "-l", Path.Combine(_dir, "log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", "start");

    /// <summary>Stops the server at once, as when it crashes (pg_ctl -m immediate).</summary>
    public void Crash() => RunAs(Path.Combine(_bin, "pg_ctl"), "-D", DataDir, "-m", "immediate", "-w", "stop");

    private static string FindBin()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var n) ? n : 0).FirstOrDefault();
        return bin ?? throw new InvalidOperationException("PostgreSQL's server is not installed (Debian package postgresql; ./test.sh installs it)");
    }

    private void RunAs(string program, params string[] args)
    {
        if (_asRoot) Run("runuser", ["-u", "postgres", "--", program, .. args]);
        else Run(program, args);
    }

    private static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {p.ExitCode}: {error}{output.Result}");
    }


    public void Dispose()
    {
        try
        {
            Crash();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }
}
