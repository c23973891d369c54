using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Duplicator.Drivers.Transport.Iscsi;

/// <summary>
/// A drive reached over iSCSI through libiscsi (libiscsi.so.7, Debian's libiscsi7), one context and one
/// session per drive, used from one thread. Location form: <c>iscsi://host:port/iqn/lun</c>.
/// libiscsi decodes sense itself; this transport rebuilds fixed-format sense (SPC-4 4.5.3) from the
/// key/ASC/ASCQ it reports, so the rest of the driver sees the same bytes as from any other transport.
/// Linux/x86-64 only (struct scsi_task offsets below are measured for libiscsi 1.19 on that ABI).
/// </summary>
public sealed partial class IscsiTransport : IScsiTransport
{
    private const string Lib = "libiscsi.so.7";
    private const int SessionNormal = 2;  // enum iscsi_session_type: ISCSI_SESSION_NORMAL
    private const int DigestNone = 0;     // enum iscsi_header_digest: ISCSI_HEADER_DIGEST_NONE
    private const int DirNone = 0, DirRead = 1, DirWrite = 2; // enum scsi_xfer_dir

    // struct scsi_task (libiscsi 1.19, x86-64)
    private const int TaskStatus = 0;
    private const int TaskSenseKey = 52;
    private const int TaskSenseAscq = 56;   // ASC << 8 | ASCQ
    private const int TaskDataInSize = 64;
    private const int TaskDataInData = 72;

    private IntPtr _ctx;
    private readonly int _lun;

    private IscsiTransport(string location, IntPtr ctx, int lun)
    {
        Location = location;
        _ctx = ctx;
        _lun = lun;
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Default deadline of the TCP connect plus login (and of any later exchange libiscsi waits on).</summary>
    public static readonly TimeSpan DefaultLoginTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Longest login deadline a URL may ask for.</summary>
    public static readonly TimeSpan MaxLoginTimeout = TimeSpan.FromSeconds(300);

    /// <summary>Splits <c>iscsi://host:port/iqn/lun</c> (see <see cref="Parse"/>).</summary>
    public static (string Portal, string Target, int Lun) ParseUrl(string url)
    {
        var u = Parse(url);
        return (u.Portal, u.Target, u.Lun);
    }

    /// <summary>
    /// Parses <c>iscsi://host[:port]/iqn/lun[?login-timeout=SECONDS]</c> (port 3260 by default, login
    /// timeout <see cref="DefaultLoginTimeout"/>, 1 to 300 s). Throws <see cref="ArgumentException"/> naming
    /// the part that is wrong.
    /// </summary>
    public static IscsiUrl Parse(string url)
    {
        const string scheme = "iscsi://";
        if (!url.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{url}: not an iscsi:// URL");
        var rest = url[scheme.Length..];
        var timeout = DefaultLoginTimeout;
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            foreach (var pair in rest[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                if (eq > 0 && pair[..eq].Equals("login-timeout", StringComparison.OrdinalIgnoreCase)
                    && int.TryParse(pair[(eq + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds)
                    && seconds >= 1 && seconds <= MaxLoginTimeout.TotalSeconds)
                    timeout = TimeSpan.FromSeconds(seconds);
                else
                    throw new ArgumentException($"{url}: parameter '{pair}' is not login-timeout=SECONDS (1 to {MaxLoginTimeout.TotalSeconds:0})");
            }
            rest = rest[..q];
        }
        int slash = rest.IndexOf('/');
        int last = rest.LastIndexOf('/');
        if (slash <= 0 || last <= slash || !int.TryParse(rest[(last + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int lun) || lun > 255)
            throw new ArgumentException($"{url}: expected iscsi://host:port/iqn/lun (lun 0 to 255)");
        var portal = rest[..slash];
        var target = rest[(slash + 1)..last];
        if (target.Length == 0 || target.Any(c => c <= ' ' || c == '/'))
            throw new ArgumentException($"{url}: the target name '{target}' is empty or holds spaces or control characters");
        int colon = portal.LastIndexOf(':');
        if (colon < 0 || (portal.StartsWith('[') && !portal[..colon].EndsWith(']')))
            portal += ":3260";
        else if (!int.TryParse(portal[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
            throw new ArgumentException($"{url}: port '{portal[(colon + 1)..]}' is not 1 to 65535");
        if (portal.StartsWith(':') || portal.Any(c => c <= ' '))
            throw new ArgumentException($"{url}: host '{portal}' is empty or holds spaces or control characters");
        return new IscsiUrl(portal, target, lun, timeout);
    }

    /// <summary>
    /// Logs in to the target at <paramref name="url"/>, within the URL's login timeout (default
    /// <see cref="DefaultLoginTimeout"/>): a target that accepts TCP and never answers, or a host that never
    /// answers the SYN, fails with a <see cref="TransportException"/> instead of hanging.
    /// </summary>
    public static IscsiTransport Connect(string url, string initiator = "iqn.2026-11.org.duplicator:initiator")
    {
        var u = Parse(url);
        IntPtr ctx;
        try
        {
            ctx = CreateContext(initiator);
        }
        catch (DllNotFoundException e)
        {
            throw new TransportException(url, "libiscsi.so.7 is not installed (Debian package libiscsi7)", transient: false, e);
        }
        if (ctx == IntPtr.Zero) throw new TransportException(url, "iscsi_create_context failed", transient: false);
        int seconds = (int)u.LoginTimeout.TotalSeconds;
        // libiscsi's PDU timeout bounds the login exchange (full_connect_sync has no deadline of its own);
        // TCP_SYNCNT bounds the connect (3 SYN retries: about 15 s) and TCP_USER_TIMEOUT a peer that stops
        // acknowledging data.
        if (SetTargetName(ctx, u.Target) != 0 || SetSessionType(ctx, SessionNormal) != 0 || SetHeaderDigest(ctx, DigestNone) != 0
            || SetTimeout(ctx, seconds) != 0)
        {
            var why = Error(ctx);
            DestroyContext(ctx);
            throw new TransportException(url, $"cannot set up the session: {why}", transient: false);
        }
        SetTcpSynCount(ctx, 3);
        SetTcpUserTimeout(ctx, seconds * 1000);
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (FullConnectSync(ctx, u.Portal, u.Lun) != 0)
        {
            var why = Error(ctx);
            DestroyContext(ctx);
            throw new TransportException(url, $"cannot log in within {seconds} s (after {started.Elapsed.TotalSeconds:0.#} s): {why}", transient: true);
        }
        return new IscsiTransport(url, ctx, u.Lun);
    }

    /// <inheritdoc />
    public unsafe ScsiResult Execute(ReadOnlySpan<byte> cdb, DataDirection direction, Span<byte> data, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(_ctx == IntPtr.Zero, this);
        SetTimeout(_ctx, (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 1, int.MaxValue));
        int dir = direction switch { DataDirection.In => DirRead, DataDirection.Out => DirWrite, _ => DirNone };
        fixed (byte* c = cdb)
        fixed (byte* d = data)
        {
            IntPtr task = CreateTask(cdb.Length, c, dir, direction == DataDirection.None ? 0 : data.Length);
            if (task == IntPtr.Zero) throw new TransportException(Location, "scsi_create_task failed", transient: false);
            try
            {
                var payload = new IscsiData { Size = (nuint)(direction == DataDirection.Out ? data.Length : 0), Data = direction == DataDirection.Out ? d : null };
                IntPtr done = CommandSync(_ctx, _lun, task, direction == DataDirection.Out ? &payload : null);
                if (done == IntPtr.Zero)
                    throw new TransportException(Location, $"command {cdb[0]:X2}h failed below SCSI: {Error(_ctx)}", transient: true);
                int status = Marshal.ReadInt32(task, TaskStatus);
                if (status is not (0 or 2 or 4 or 8 or 0x18 or 0x28))
                    throw new TransportException(Location, $"command {cdb[0]:X2}h: libiscsi status {status:X8} ({Error(_ctx)})", transient: true);
                int moved = 0;
                if (direction == DataDirection.In)
                {
                    int size = Marshal.ReadInt32(task, TaskDataInSize);
                    IntPtr src = Marshal.ReadIntPtr(task, TaskDataInData);
                    moved = Math.Min(size, data.Length);
                    if (moved > 0 && src != IntPtr.Zero) new ReadOnlySpan<byte>((void*)src, moved).CopyTo(data);
                }
                else if (direction == DataDirection.Out)
                {
                    moved = data.Length;
                }
                byte[] sense = [];
                if (status == 2)
                {
                    int key = Marshal.ReadInt32(task, TaskSenseKey);
                    int ascq = Marshal.ReadInt32(task, TaskSenseAscq);
                    sense = new byte[18];
                    sense[0] = 0x70;                     // current error, fixed format
                    sense[2] = (byte)(key & 0x0F);
                    sense[7] = 10;                       // additional sense length
                    sense[12] = (byte)(ascq >> 8);
                    sense[13] = (byte)ascq;
                }
                return new ScsiResult((byte)status, sense, moved);
            }
            finally
            {
                FreeTask(task);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var ctx = Interlocked.Exchange(ref _ctx, IntPtr.Zero);
        if (ctx == IntPtr.Zero) return;
        SetTimeout(ctx, 5); // the logout of a hung session waits 5 s at most, not the last command's timeout
        LogoutSync(ctx);
        Disconnect(ctx);
        DestroyContext(ctx);
    }

    private static string Error(IntPtr ctx) => Marshal.PtrToStringUTF8(GetError(ctx)) ?? "unknown error";

    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IscsiData
    {
        public nuint Size;
        public byte* Data;
    }

    [LibraryImport(Lib, EntryPoint = "iscsi_create_context", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr CreateContext(string initiator);

    [LibraryImport(Lib, EntryPoint = "iscsi_set_targetname", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetTargetName(IntPtr ctx, string target);

    [LibraryImport(Lib, EntryPoint = "iscsi_set_session_type")]
    private static partial int SetSessionType(IntPtr ctx, int type);

    [LibraryImport(Lib, EntryPoint = "iscsi_set_header_digest")]
    private static partial int SetHeaderDigest(IntPtr ctx, int digest);

    [LibraryImport(Lib, EntryPoint = "iscsi_set_timeout")]
    private static partial int SetTimeout(IntPtr ctx, int seconds);

    [LibraryImport(Lib, EntryPoint = "iscsi_set_tcp_syncnt")]
    private static partial void SetTcpSynCount(IntPtr ctx, int count); // void in iscsi.h

    [LibraryImport(Lib, EntryPoint = "iscsi_set_tcp_user_timeout")]
    private static partial void SetTcpUserTimeout(IntPtr ctx, int milliseconds); // void in iscsi.h

    [LibraryImport(Lib, EntryPoint = "iscsi_full_connect_sync", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FullConnectSync(IntPtr ctx, string portal, int lun);

    [LibraryImport(Lib, EntryPoint = "scsi_create_task")]
    private static unsafe partial IntPtr CreateTask(int cdbSize, byte* cdb, int xferDir, int expectedXferLen);

    [LibraryImport(Lib, EntryPoint = "iscsi_scsi_command_sync")]
    private static unsafe partial IntPtr CommandSync(IntPtr ctx, int lun, IntPtr task, IscsiData* data);

    [LibraryImport(Lib, EntryPoint = "scsi_free_scsi_task")]
    private static partial void FreeTask(IntPtr task);

    [LibraryImport(Lib, EntryPoint = "iscsi_get_error")]
    private static partial IntPtr GetError(IntPtr ctx);

    [LibraryImport(Lib, EntryPoint = "iscsi_logout_sync")]
    private static partial int LogoutSync(IntPtr ctx);

    [LibraryImport(Lib, EntryPoint = "iscsi_disconnect")]
    private static partial int Disconnect(IntPtr ctx);

    [LibraryImport(Lib, EntryPoint = "iscsi_destroy_context")]
    private static partial int DestroyContext(IntPtr ctx);
}

/// <summary>A parsed <c>iscsi://</c> recorder location.</summary>
/// <param name="Portal">host:port (port 3260 when the URL gives none).</param>
/// <param name="Target">The target's IQN.</param>
/// <param name="Lun">Logical unit number.</param>
/// <param name="LoginTimeout">Deadline of the connect and login.</param>
public sealed record IscsiUrl(string Portal, string Target, int Lun, TimeSpan LoginTimeout);
