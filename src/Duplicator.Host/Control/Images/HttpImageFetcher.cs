using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Mastering.Data.PerDisc;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Control.Images;

/// <summary>
/// <see cref="IImageFetcher"/> over another tower's control API (<c>GET /api/images/{sha256}</c>, see
/// <see cref="ImageEndpoints"/>). Bytes go to <c>targetPath + ".part"</c> beside the target, never through a link
/// (a part path that is a symbolic link or not a regular file is refused); a part a previous attempt left is resumed
/// with <c>Range: bytes=N-</c> and <c>If-Range</c> (the ETag is the content hash), and restarted from 0 when the
/// tower answers the whole file instead. Nothing beyond <c>bytes</c> is written: an answer of another size, or one that
/// sends more, is refused. Everything written (and a resumed prefix, read back once) is hashed; the part is renamed
/// to the target only when that hash is the expected one, and deleted otherwise
/// (<see cref="ImapiError.SourceChanged"/>, naming the tower, the expected and the actual hash). Transient failures (a
/// connection refused or reset, a 5xx, a read that stalls past <see cref="FetchOptions.ReadTimeout"/>) are retried
/// <see cref="FetchOptions.Attempts"/> times in all, with backoff, each resuming where the part ends; when they run out
/// the part is kept for the next call to resume. One fetch per target at a time: the part file is not locked
/// (the host runs with <c>System.IO.DisableFileLocking</c>).
/// </summary>
public sealed class HttpImageFetcher : IImageFetcher, IDisposable
{
    private readonly HttpClient _http;
    private readonly string? _token;
    private readonly FetchOptions _options;

    /// <summary>Fetches with <paramref name="token"/> as the bearer token (null: none), over <paramref name="handler"/> (null: a new <see cref="SocketsHttpHandler"/>).</summary>
    public HttpImageFetcher(string? token = null, HttpMessageHandler? handler = null, FetchOptions? options = null)
    {
        _token = token;
        _options = options ?? new FetchOptions();
        if (_options.Attempts < 1) throw new ArgumentOutOfRangeException(nameof(options), _options.Attempts, "at least one attempt");
        // No overall timeout: a large image takes as long as it takes; each read has its own (FetchOptions.ReadTimeout).
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = _options.ReadTimeout }, disposeHandler: handler is null)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The URL of image <paramref name="sha256"/> on the tower whose control API is at <paramref name="from"/>.</summary>
    public static Uri ImageUri(Uri from, string sha256) => new(from.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/" + ImageEndpoints.PathOf(sha256));

    /// <summary>The URL of image <paramref name="sha256"/>'s piece list on the tower whose control API is at <paramref name="from"/>.</summary>
    public static Uri PiecesUri(Uri from, string sha256) => new(ImageUri(from, sha256) + "/pieces");

    /// <inheritdoc />
    public Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, CancellationToken cancellationToken) =>
        FetchCoreAsync(from, sha256, bytes, targetPath, null, cancellationToken);

    /// <summary>
    /// As <see cref="FetchAsync(Uri, string, long, string, CancellationToken)"/>; with <paramref name="image"/>'s piece
    /// list hash, the list is fetched first (<c>GET /api/images/{sha256}/pieces</c>) and must be exactly one SHA-256 per
    /// piece and hash to <see cref="FloorImage.PiecesSha256"/> (SourceChanged otherwise, nothing written); then each
    /// piece is checked as it arrives, and <paramref name="verified"/> told the bytes checked and flushed at every piece.
    /// A piece that does not match stops the fetch (SourceChanged, naming the piece) and deletes the part. A tower that
    /// has no list (404) is fetched from whole, and <paramref name="verified"/> told once at the end. Resumed with a
    /// range, a part is never cut back: a tower that answers the whole file has its first bytes skipped, not rewritten.
    /// The list is kept beside the target (<see cref="FloorPieces.ListPath"/>), so this tower can serve it in turn.
    /// </summary>
    public async Task FetchAsync(Uri from, string sha256, long bytes, string targetPath, FloorImage? image, Action<long> verified, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(verified);
        byte[]? list = null;
        if (image is { PiecesSha256: { } root } && FloorPieces.IsPieceSize(image.PieceBytes) && ImageEndpoints.IsSha256(sha256) && bytes > 0)
            list = await FetchListAsync(from, sha256.ToLowerInvariant(), bytes, root, image.PieceBytes, cancellationToken);
        using var pieces = list is null ? null : new PieceCheck(list, image!.PieceBytes, bytes, verified);
        await FetchCoreAsync(from, sha256, bytes, targetPath, pieces, cancellationToken);
        if (list != null) FloorPieces.WriteList(Path.GetFullPath(targetPath), list);
        verified(bytes);
    }

    /// <summary>The piece list of image <paramref name="sha"/> from <paramref name="from"/>, checked against <paramref name="root"/>; null when the tower has none.</summary>
    private async Task<byte[]?> FetchListAsync(Uri from, string sha, long bytes, string root, int pieceBytes, CancellationToken cancellationToken)
    {
        long expected = FloorPieces.Count(bytes, pieceBytes) * FloorPieces.HashBytes;
        if (expected > int.MaxValue / 2)
            throw new ImapiException(ImapiError.InvalidImage, $"image {sha}: {bytes} bytes in pieces of {pieceBytes} is a piece list of {expected} bytes; too long");
        var url = PiecesUri(from, sha);
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (_token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(_options.ReadTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timer.Token);
            if (response.StatusCode != HttpStatusCode.OK) return null; // an older tower, or a copy without its list: fetched whole
            if (response.Content.Headers.ContentLength is { } l && l != expected)
                throw new ImapiException(ImapiError.InvalidImage, $"image {sha}: {url} has a piece list of {l} bytes; {bytes} bytes in pieces of {pieceBytes} need {expected}");
            var list = new byte[expected];
            await using var body = await response.Content.ReadAsStreamAsync(timer.Token);
            int have = 0, n;
            while (have < list.Length && (n = await body.ReadAsync(list.AsMemory(have), timer.Token)) > 0) have += n;
            if (have < list.Length || await body.ReadAsync(new byte[1], timer.Token) > 0)
                throw new ImapiException(ImapiError.InvalidImage, $"image {sha}: {url} sent a piece list of another length than {expected} bytes");
            if (FloorPieces.Root(list) is var actual && !actual.Equals(root, StringComparison.OrdinalIgnoreCase))
                throw new ImapiException(ImapiError.SourceChanged, $"image {sha}: the piece list from {url} hashes to {actual}, the ledger has {root.ToUpperInvariant()}; nothing was fetched");
            return list;
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null; // unreachable for the list: the image fetch retries and reports the tower itself
        }
    }

    private async Task FetchCoreAsync(Uri from, string sha256, long bytes, string targetPath, PieceCheck? pieces, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (!ImageEndpoints.IsSha256(sha256))
            throw new ImapiException(ImapiError.InvalidInput, $"image '{RequestGuards.Show(sha256)}': not a SHA-256 (exactly {ImageEndpoints.Sha256HexLength} hex digits)");
        if (bytes <= 0) throw new ImapiException(ImapiError.InvalidInput, $"image {sha256}: {bytes} bytes; an image has at least one byte");
        var sha = sha256.ToLowerInvariant();
        var target = Path.GetFullPath(targetPath);
        var folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
            throw new ImapiException(ImapiError.InvalidInput, $"image {sha}: the target's folder {folder} does not exist");
        var part = target + ".part";
        var url = ImageUri(from, sha);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var stream = OpenPart(part, sha);
        bool gaveUp = false;
        try
        {
            if (stream.Length > bytes) stream.SetLength(0); // not a prefix of this image: start again
            // A part left by an earlier attempt keeps only its pieces that match the list (and a last one under way).
            if (pieces != null) stream.SetLength(await pieces.PrefixAsync(stream, _options.BufferBytes, cancellationToken));
            await HashPrefixAsync(stream, hash, cancellationToken);
            pieces?.Publish(); // the prefix is in the file already
            for (int attempt = 1; stream.Position < bytes; attempt++)
            {
                long before = stream.Position;
                try
                {
                    await TransferAsync(url, sha, bytes, stream, hash, pieces, cancellationToken);
                }
                catch (TransientFetchException e)
                {
                    // Attempts count failures in a row: one that brought at least a buffer's worth is progress, not one of them.
                    if (stream.Position - before >= _options.BufferBytes) attempt = 1;
                    if (attempt >= _options.Attempts)
                    {
                        await stream.FlushAsync(CancellationToken.None); // what arrived is kept: the next call resumes it
                        gaveUp = true;
                        throw new ImapiException(ImapiError.SourceUnreadable,
                            $"image {sha} from {from}: {e.Message}; gave up after {attempt} attempt(s) with {stream.Position} of {bytes} bytes in {part}", e.InnerException);
                    }
                    await Task.Delay(Backoff(attempt), cancellationToken);
                }
            }
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true); // the rename below must not name bytes still in the page cache only
        }
        catch (ImapiException) when (!gaveUp)
        {
            await stream.DisposeAsync(); // refused: nothing of it is kept
            Delete(part);
            throw;
        }
        catch (IOException e)
        {
            // The network's errors are transient ones above: this is the part file's own disc.
            await stream.DisposeAsync();
            Delete(part);
            throw new ImapiException(e.HResult == 28 /* ENOSPC */ ? ImapiError.NotEnoughDiskForStash : ImapiError.CannotWriteToMedia,
                $"image {sha} from {from}: writing {part} failed: {e.Message}", e);
        }
        catch
        {
            await stream.DisposeAsync(); // cancelled, or the disc failed: the part stays to be resumed
            throw;
        }
        await stream.DisposeAsync();

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != sha)
        {
            Delete(part);
            throw new ImapiException(ImapiError.SourceChanged,
                $"image from {from}: {bytes} bytes arrived with SHA-256 {actual}, the ledger has {sha}; nothing was kept");
        }
        File.Move(part, target, overwrite: true); // rename(2): replaces whatever is at the target, never writes through it
    }

    /// <summary>One request: from the part's end (a range) or from 0, into the part and the hash.</summary>
    private async Task TransferAsync(Uri url, string sha, long bytes, FileStream stream, IncrementalHash hash, PieceCheck? pieces, CancellationToken cancellationToken)
    {
        long have = stream.Position;
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (_token != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        if (have > 0)
        {
            request.Headers.Range = new RangeHeaderValue(have, null);
            request.Headers.IfRange = new RangeConditionHeaderValue(new EntityTagHeaderValue(ImageEndpoints.ETagOf(sha)));
        }
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(_options.ReadTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timer.Token);
        }
        catch (HttpRequestException e)
        {
            throw new TransientFetchException($"the request failed ({e.Message})", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientFetchException($"no answer within {_options.ReadTimeout.TotalSeconds:0.#} s", e);
        }
        using (response)
        {
            await CheckAnswerAsync(response, url, sha, bytes, have, cancellationToken);
            long skip = 0;
            if (response.StatusCode == HttpStatusCode.OK && have > 0 && pieces != null)
                skip = have; // what was checked may be on its way to a disc already: never cut back; the bytes again are skipped
            else if (response.StatusCode == HttpStatusCode.OK && have > 0)
            {
                // The whole file instead of the range (a tower or proxy without ranges, or another entity): start again.
                stream.SetLength(0);
                stream.Position = 0;
                hash.GetHashAndReset();
            }
            await CopyAsync(response, url, bytes, stream, hash, pieces, skip, timer, cancellationToken);
        }
    }

    private async Task CheckAnswerAsync(HttpResponseMessage response, Uri url, string sha, long bytes, long have, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (status >= 500 || status is 408 or 429)
            throw new TransientFetchException($"the tower answered {status} {await ProblemAsync(response, cancellationToken)}".TrimEnd(), null);
        if (response.StatusCode == HttpStatusCode.NotFound)
            throw new ImapiException(ImapiError.SourceUnreadable, $"image {sha}: {url} answered 404: the tower holds no such staged image {await ProblemAsync(response, cancellationToken)}".TrimEnd());
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            throw new ImapiException(ImapiError.InvalidImage,
                $"image {sha}: {url} answered 416 to bytes={have}- (its size: {response.Content.Headers.ContentRange?.Length?.ToString() ?? "not said"}); the ledger says {bytes} bytes");
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
            throw new ImapiException(ImapiError.SourceUnreadable, $"image {sha}: {url} answered {status} {await ProblemAsync(response, cancellationToken)}".TrimEnd());
        if (response.Headers.ETag is { } etag && (etag.IsWeak || etag.Tag != ImageEndpoints.ETagOf(sha)))
            throw new ImapiException(ImapiError.InvalidImage, $"image {sha}: {url} answered under the ETag {etag}, not {ImageEndpoints.ETagOf(sha)}");
        var length = response.Content.Headers.ContentLength;
        if (response.StatusCode == HttpStatusCode.OK)
        {
            if (length is { } l && l != bytes)
                throw new ImapiException(ImapiError.InvalidImage, $"image {sha}: {url} has {l} bytes, the ledger says {bytes}");
            return;
        }
        var range = response.Content.Headers.ContentRange;
        if (have == 0 || range is not { Unit: "bytes", From: { } from, To: { } to, Length: { } total } || from != have || to != bytes - 1 || total != bytes
            || (length is { } n && n != bytes - have))
            throw new ImapiException(ImapiError.InvalidImage,
                $"image {sha}: {url} answered bytes={have}- with Content-Range '{range?.ToString() ?? "(none)"}' and Content-Length {length?.ToString() ?? "(none)"}; expected bytes {have}-{bytes - 1}/{bytes}");
    }

    private async Task CopyAsync(HttpResponseMessage response, Uri url, long bytes, FileStream stream, IncrementalHash hash, PieceCheck? pieces, long skip,
        CancellationTokenSource timer, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferBytes);
        try
        {
            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(timer.Token);
            }
            catch (Exception e) when (e is HttpRequestException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                throw new TransientFetchException($"the answer broke off ({e.Message})", e);
            }
            await using (body)
            {
                while (true)
                {
                    timer.CancelAfter(_options.ReadTimeout); // per read: a stalled tower cannot hold the fetch forever
                    int n;
                    try
                    {
                        n = await body.ReadAsync(buffer.AsMemory(0, _options.BufferBytes), timer.Token);
                    }
                    catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new TransientFetchException($"nothing arrived for {_options.ReadTimeout.TotalSeconds:0.#} s after {stream.Position} of {bytes} bytes", e);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException)
                    {
                        throw new TransientFetchException($"the connection broke after {stream.Position} of {bytes} bytes ({e.Message})", e);
                    }
                    if (n == 0) break;
                    int skipped = (int)Math.Min(n, skip);
                    skip -= skipped;
                    long room = bytes - stream.Position;
                    int keep = (int)Math.Min(n - skipped, room);
                    await stream.WriteAsync(buffer.AsMemory(skipped, keep), cancellationToken);
                    hash.AppendData(buffer, skipped, keep);
                    if (pieces != null && pieces.Append(buffer.AsSpan(skipped, keep), url))
                    {
                        await stream.FlushAsync(cancellationToken); // readers open the part themselves: a checked piece must be in the file
                        pieces.Publish();
                    }
                    if (skipped + keep < n)
                        throw new ImapiException(ImapiError.InvalidImage, $"image from {url}: the tower sent more than the {bytes} bytes the ledger says; refused");
                }
            }
            if (stream.Position < bytes)
                throw new TransientFetchException($"the answer ended after {stream.Position} of {bytes} bytes", null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Feeds the part's bytes so far (a previous attempt's) into the hash, reading them once; leaves the stream at its end.</summary>
    private async Task HashPrefixAsync(FileStream stream, IncrementalHash hash, CancellationToken cancellationToken)
    {
        long length = stream.Length;
        stream.Position = 0;
        if (length == 0) return;
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferBytes);
        try
        {
            long read = 0;
            while (read < length)
            {
                int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(_options.BufferBytes, length - read)), cancellationToken);
                if (n == 0) break;
                hash.AppendData(buffer, 0, n);
                read += n;
            }
            stream.SetLength(read); // a part that shrank while it was read is kept only as far as it was hashed
            stream.Position = read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The part file beside the target: created new, or an existing regular file; never a link, a FIFO or a device.</summary>
    private FileStream OpenPart(string part, string sha)
    {
        var info = new FileInfo(part);
        if (info.LinkTarget != null)
            throw new ImapiException(ImapiError.SourceNotAllowed, $"image {sha}: {part} is a symbolic link (to {info.LinkTarget}); a fetch writes only a file of its own, not followed");
        if (Directory.Exists(part) || (info.Exists && !ValuesCsv.IsRegularFile(part)))
            throw new ImapiException(ImapiError.SourceNotAllowed, $"image {sha}: {part} is not a regular file; a fetch writes only a file of its own");
        try
        {
            // CreateNew is O_CREAT|O_EXCL: it fails on anything that appeared there, a dangling link included.
            // Readers of an image still arriving open the part themselves (FileShare.Read), reading only what was checked.
            var stream = new FileStream(part, info.Exists ? FileMode.Open : FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read, _options.BufferBytes,
                FileOptions.Asynchronous);
            if (!stream.CanSeek || new FileInfo(part).LinkTarget != null) // swapped for something else between the check and the open
            {
                stream.Dispose();
                throw new ImapiException(ImapiError.SourceNotAllowed, $"image {sha}: {part} changed into a link or a special file while it was opened; not written");
            }
            return stream;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImapiException(ImapiError.SourceNotAllowed, $"image {sha}: {part} cannot be opened for writing: {e.Message}", e);
        }
    }

    private TimeSpan Backoff(int attempt) => TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, _options.FirstBackoff.Ticks << Math.Min(attempt - 1, 20)));

    private static void Delete(string part)
    {
        try
        {
            if (new FileInfo(part).LinkTarget is null) File.Delete(part); // a link put there is not ours to remove
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left behind: the next fetch rehashes whatever prefix it finds and refuses it on a mismatch.
        }
    }

    /// <summary>The problem document of an error answer, at most 1 KiB of it, as a problem quotes it.</summary>
    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[1024];
            int length = 0, n;
            while (length < buffer.Length && (n = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0) length += n;
            var text = System.Text.Encoding.UTF8.GetString(buffer, 0, length);
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(text);
                if (doc.RootElement.TryGetProperty("problems", out var problems) && problems.ValueKind == System.Text.Json.JsonValueKind.Array)
                    text = string.Join("; ", problems.EnumerateArray().Select(p => p.ToString()));
            }
            catch (System.Text.Json.JsonException)
            {
            }
            return "(" + RequestGuards.Show(text.Trim()) + ")";
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <summary>A failure worth another attempt: the part keeps what arrived.</summary>
    private sealed class TransientFetchException(string message, Exception? inner) : Exception(message, inner);

    /// <summary>Checks the bytes as they arrive, piece by piece, against a piece list the ledger vouched for; tells how far they are checked.</summary>
    private sealed class PieceCheck(byte[] list, int pieceBytes, long bytes, Action<long> verified) : IDisposable
    {
        private readonly IncrementalHash _piece = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _actual = new byte[FloorPieces.HashBytes];
        private long _index, _checked, _fill;

        /// <summary>Takes the next <paramref name="data"/>; true when at least one piece ended (and matched) in it. Throws on a piece that does not match.</summary>
        public bool Append(ReadOnlySpan<byte> data, Uri from)
        {
            bool ended = false;
            while (!data.IsEmpty)
            {
                long size = Math.Min(pieceBytes, bytes - _index * pieceBytes);
                int take = (int)Math.Min(data.Length, size - _fill);
                _piece.AppendData(data[..take]);
                data = data[take..];
                _fill += take;
                if (_fill < size) break;
                _piece.GetHashAndReset(_actual);
                var expected = list.AsSpan(checked((int)(_index * FloorPieces.HashBytes)), FloorPieces.HashBytes);
                if (!expected.SequenceEqual(_actual))
                    throw new ImapiException(ImapiError.SourceChanged,
                        $"image from {from}: piece {_index} (bytes {_index * pieceBytes}-{_index * pieceBytes + size - 1}) hashes to {Convert.ToHexString(_actual)}, the ledger's piece list has {Convert.ToHexString(expected)}; refused before any of it was used");
                _checked += size;
                _index++;
                _fill = 0;
                ended = true;
            }
            return ended;
        }

        /// <summary>
        /// Checks a part file's bytes from its start: how many to keep (every whole piece up to the first that does not
        /// match, and a last piece under way), the check left just after them.
        /// </summary>
        public async Task<long> PrefixAsync(FileStream stream, int bufferBytes, CancellationToken cancellationToken)
        {
            long length = stream.Length;
            stream.Position = 0;
            var buffer = ArrayPool<byte>.Shared.Rent(bufferBytes);
            try
            {
                long read = 0;
                while (read < length)
                {
                    int n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(bufferBytes, length - read)), cancellationToken);
                    if (n == 0) break;
                    try
                    {
                        Append(buffer.AsSpan(0, n), new Uri("file://" + stream.Name));
                    }
                    catch (ImapiException)
                    {
                        _piece.GetHashAndReset(); // that piece is fetched again from its start
                        _fill = 0;
                        return _checked;
                    }
                    read += n;
                }
                return read;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Tells the bytes checked so far (call when they are in the file).</summary>
        public void Publish() => verified(_checked);

        public void Dispose() => _piece.Dispose();
    }
}

/// <summary>How <see cref="HttpImageFetcher"/> retries and waits.</summary>
/// <param name="Attempts">Requests in a row that fail transiently (each bringing less than <paramref name="BufferBytes"/>) before the fetch gives up (at least 1).</param>
/// <param name="BufferBytes">Read and write buffer.</param>
public sealed record FetchOptions(int Attempts = 5, int BufferBytes = 1 << 20)
{
    /// <summary>Longest wait for the answer's headers or for any one read of its body.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Wait before the second attempt; doubled for each one after, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest wait between attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(8);
}
