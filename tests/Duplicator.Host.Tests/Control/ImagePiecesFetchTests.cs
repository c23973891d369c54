using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Floor;
using Duplicator.Host.Control.Images;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Tests.Control;

/// <summary>
/// A fetch with the ledger's piece list (<c>GET /api/images/{sha256}/pieces</c> on the real control API, Kestrel on
/// loopback, real files, and <see cref="HttpImageFetcher"/>): the list is checked against the ledger's hash of it, then
/// each piece as it arrives, and how far the image is checked is said at every piece, never past a piece that does not
/// match. A tower without a list is fetched from whole; a part left by an earlier attempt keeps only its good pieces.
/// </summary>
public sealed class ImagePiecesFetchTests : IAsyncLifetime
{
    private const int Size = 3 * 1024 * 1024 + 12345; // 49 pieces of 64 KiB, the last one short
    private const int Piece = FloorPieces.MinPieceBytes;
    private readonly string _root = Directory.CreateTempSubdirectory("dup-pieces-").FullName;
    private readonly FakeTower _tower = new();
    private Microsoft.AspNetCore.Builder.WebApplication? _app;
    private HttpClient _http = null!;
    private byte[] _image = null!;
    private string _sha = null!;
    private byte[] _list = null!;
    private string _staged = null!;

    private static readonly FetchOptions Quick = new(Attempts: 3) { FirstBackoff = TimeSpan.FromMilliseconds(10), ReadTimeout = TimeSpan.FromSeconds(20) };

    public async Task InitializeAsync()
    {
        _image = RandomNumberGenerator.GetBytes(Size);
        Directory.CreateDirectory(Path.Combine(_root, "stash", "b1"));
        Directory.CreateDirectory(Path.Combine(_root, "here"));
        _staged = Path.Combine(_root, "stash", "b1", "image.iso");
        File.WriteAllBytes(_staged, _image);
        string sha;
        (sha, _list) = FloorPieces.Hash(_staged, Piece, CancellationToken.None);
        _sha = sha.ToLowerInvariant();
        FloorPieces.WriteList(_staged, _list);
        _tower.Images[_sha] = _staged;
        (_app, _http) = await ControlApiHost.StartAsync(_tower, _root);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app!.StopAsync();
        Directory.Delete(_root, true);
    }

    private Uri Tower => _http.BaseAddress!;
    private string Target => Path.Combine(_root, "here", "image.iso");
    private FloorImage Ledger => new(_sha.ToUpperInvariant(), Size / 2048, Tower.ToString(), FloorPieces.Root(_list), Piece);

    [Fact]
    public void The_piece_list_is_one_sha256_per_piece_and_the_whole_hash_is_the_files()
    {
        Assert.Equal(49 * FloorPieces.HashBytes, _list.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_image)), _sha);
        Assert.Equal(SHA256.HashData(_image.AsSpan(48 * Piece)), _list.AsSpan(48 * 32, 32).ToArray()); // the short last piece
    }

    [Fact]
    public async Task The_pieces_endpoint_serves_the_list_kept_beside_a_held_image_and_404s_or_400s_otherwise()
    {
        var answer = await _http.GetAsync(HttpImageFetcher.PiecesUri(Tower, _sha));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(_list, await answer.Content.ReadAsByteArrayAsync());

        var other = Path.Combine(_root, "stash", "b1", "other.iso"); // held, but no list beside it
        File.WriteAllBytes(other, new byte[4096]);
        var otherSha = Convert.ToHexStringLower(SHA256.HashData(new byte[4096]));
        _tower.Images[otherSha] = other;
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(HttpImageFetcher.PiecesUri(Tower, otherSha))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(HttpImageFetcher.PiecesUri(Tower, new string('a', 64)))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(new Uri(Tower, "api/images/..%2F..%2Fetc%2Fpasswd/pieces"))).StatusCode);
    }

    [Fact]
    public async Task Each_piece_is_checked_as_it_arrives_and_how_far_is_said_at_every_piece_up_to_the_whole_image()
    {
        var said = new ConcurrentQueue<long>();
        // Reads of at most a piece: each ends at most one whole piece, so every piece's end is said (a larger buffer
        // says several pieces at once, as many as one read brought).
        using var fetcher = new HttpImageFetcher(options: Quick with { BufferBytes = Piece });
        await fetcher.FetchAsync(Tower, _sha, Size, Target, Ledger, said.Enqueue, CancellationToken.None);

        Assert.Equal(_image, await File.ReadAllBytesAsync(Target));
        var marks = said.ToArray();
        Assert.All(marks.Zip(marks.Skip(1)), p => Assert.True(p.Item2 >= p.Item1, "the checked mark moved back"));
        Assert.Equal(0, marks[0]); // before anything arrived: what a part left by an earlier attempt holds, here nothing
        var ends = marks.Skip(1).Distinct().ToArray();
        Assert.All(ends, m => Assert.True(m % Piece == 0 || m == Size, $"{m} is not a piece's end"));
        Assert.Equal(Size, ends[^1]);
        // Every piece's end, but for the short last piece: one read may end piece 47 and the image at once.
        Assert.True(ends.Length >= 48, $"said {ends.Length} piece ends of 49");
        Assert.Equal(_list, await File.ReadAllBytesAsync(FloorPieces.ListPath(Target))); // kept, so this tower can serve it too
        Assert.False(File.Exists(Target + ".part"));
    }

    [Fact]
    public async Task A_piece_that_does_not_match_the_list_stops_the_fetch_naming_it_and_nothing_past_the_piece_before_is_said_checked()
    {
        var altered = (byte[])_image.Clone();
        altered[3 * Piece + 100] ^= 0x01; // piece 3
        File.WriteAllBytes(_staged, altered); // the tower serves other bytes under the same hash

        var said = new ConcurrentQueue<long>();
        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, _sha, Size, Target, Ledger, said.Enqueue, CancellationToken.None));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("piece 3 ", e.Message);
        Assert.Contains(Convert.ToHexString(_list.AsSpan(3 * 32, 32)), e.Message);
        Assert.True(said.IsEmpty || said.Max() <= 3 * Piece, $"said {said.Max()} bytes checked, past piece 3's start");
        Assert.False(File.Exists(Target));
        Assert.False(File.Exists(Target + ".part"));
    }

    [Fact]
    public async Task A_piece_list_that_does_not_hash_to_the_ledgers_is_refused_before_any_byte_of_the_image_is_fetched()
    {
        var list = (byte[])_list.Clone();
        list[40] ^= 0x01;
        FloorPieces.WriteList(_staged, list); // a tower with a list of its own making

        var said = new ConcurrentQueue<long>();
        using var fetcher = new HttpImageFetcher(options: Quick);
        var e = await Assert.ThrowsAsync<ImapiException>(() => fetcher.FetchAsync(Tower, _sha, Size, Target, Ledger, said.Enqueue, CancellationToken.None));
        Assert.Equal(ImapiError.SourceChanged, e.Code);
        Assert.Contains("piece list", e.Message);
        Assert.Contains(FloorPieces.Root(_list), e.Message);
        Assert.Empty(said);
        Assert.False(File.Exists(Target + ".part"));
        Assert.False(File.Exists(Target));
    }

    [Fact]
    public async Task A_tower_without_a_piece_list_is_fetched_from_whole_and_said_checked_once_at_the_end()
    {
        File.Delete(FloorPieces.ListPath(_staged));
        var said = new ConcurrentQueue<long>();
        using var fetcher = new HttpImageFetcher(options: Quick);
        await fetcher.FetchAsync(Tower, _sha, Size, Target, Ledger, said.Enqueue, CancellationToken.None);
        Assert.Equal([(long)Size], said.ToArray());
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target));
        Assert.False(File.Exists(FloorPieces.ListPath(Target)));
    }

    [Fact]
    public async Task A_part_left_by_an_earlier_attempt_keeps_only_its_pieces_that_match_and_the_rest_is_fetched_again()
    {
        var part = (byte[])_image[..(5 * Piece + 1000)].Clone();
        part[2 * Piece + 7] ^= 0xFF; // piece 2 of the part went bad on this tower's disc
        await File.WriteAllBytesAsync(Target + ".part", part);

        var said = new ConcurrentQueue<long>();
        using var fetcher = new HttpImageFetcher(options: Quick);
        await fetcher.FetchAsync(Tower, _sha, Size, Target, Ledger, said.Enqueue, CancellationToken.None);
        Assert.Equal(2 * Piece, said.First()); // the part's two good pieces, before anything was fetched
        Assert.Equal(_image, await File.ReadAllBytesAsync(Target));
    }
}
