using System.Security.Cryptography;
using Duplicator.Actors.Floor;

namespace Duplicator.Actors.Tests.Floor;

/// <summary><see cref="FloorPieces"/>: the whole hash and the piece list of a real file in one read, and a copy made in the same pass.</summary>
public sealed class FloorPiecesTests : IDisposable
{
    private const int Piece = FloorPieces.MinPieceBytes;
    private readonly string _dir = Directory.CreateTempSubdirectory("dup-pieces-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private (string Path, byte[] Bytes) File_(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        var path = Path.Combine(_dir, $"image-{length}.iso");
        File.WriteAllBytes(path, bytes);
        return (path, bytes);
    }

    [Theory]
    [InlineData(Piece)]
    [InlineData(3 * Piece + 2048)]
    [InlineData(2048)]
    public void The_hash_is_the_files_and_the_list_holds_each_pieces_sha256_in_order_the_last_one_short(int length)
    {
        var (path, bytes) = File_(length);
        var (sha, list) = FloorPieces.Hash(path, Piece, CancellationToken.None);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), sha);
        long pieces = FloorPieces.Count(length, Piece);
        Assert.Equal(pieces * FloorPieces.HashBytes, list.Length);
        for (int i = 0; i < pieces; i++)
        {
            var piece = bytes.AsSpan(i * Piece, Math.Min(Piece, length - i * Piece));
            Assert.Equal(SHA256.HashData(piece), list.AsSpan(i * 32, 32).ToArray());
        }
        Assert.Equal(Convert.ToHexString(SHA256.HashData(list)), FloorPieces.Root(list));
    }

    [Fact]
    public void A_copy_made_while_hashing_holds_the_same_bytes_and_gets_the_same_hashes_and_never_overwrites()
    {
        var (path, bytes) = File_(5 * Piece + 4096);
        var copy = Path.Combine(_dir, "copy.iso.part");
        var copied = FloorPieces.CopyAndHash(path, copy, Piece, CancellationToken.None);
        Assert.Equal(bytes, File.ReadAllBytes(copy));
        var hashed = FloorPieces.Hash(path, Piece, CancellationToken.None);
        Assert.Equal(hashed.Sha256, copied.Sha256);
        Assert.Equal(hashed.List, copied.List);
        Assert.Throws<IOException>(() => FloorPieces.CopyAndHash(path, copy, Piece, CancellationToken.None)); // CreateNew: what is there stays
        Assert.Equal(bytes, File.ReadAllBytes(copy));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(32 << 10, false)]
    [InlineData(64 << 10, true)]
    [InlineData(4 << 20, true)]
    [InlineData(3 << 20, false)]
    [InlineData(64 << 20, true)]
    [InlineData(128 << 20, false)]
    public void A_piece_size_is_a_power_of_two_from_64_KiB_to_64_MiB(int bytes, bool ok)
    {
        Assert.Equal(ok, FloorPieces.IsPieceSize(bytes));
        var (path, _) = File_(2048);
        if (!ok) Assert.Throws<ArgumentOutOfRangeException>(() => FloorPieces.Hash(path, bytes, CancellationToken.None));
    }

    [Fact]
    public void The_list_is_written_beside_the_image_under_a_temporary_name_first()
    {
        var image = Path.Combine(_dir, "abc.iso");
        FloorPieces.WriteList(image, [1, 2, 3]);
        Assert.Equal(Path.Combine(_dir, "abc.pieces"), FloorPieces.ListPath(image));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(FloorPieces.ListPath(image)));
        Assert.False(File.Exists(FloorPieces.ListPath(image) + ".tmp"));
    }
}
