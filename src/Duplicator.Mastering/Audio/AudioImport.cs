using System.Buffers;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Mastering.Audio;

/// <summary>Stages WAV files as tracks: one file, one track, its last partial block padded with silence.</summary>
public static class AudioImport
{
    private const int ChunkBlocks = 256; // ~600 KB per AddAudioTrackBlocks call

    /// <summary>
    /// Adds <paramref name="wavPath"/> as a new track. The WAV and the capacity are checked before the
    /// track is created; if anything fails after that (I/O, cancellation) the half-added track is dropped,
    /// so the staging is as it was before the call.
    /// </summary>
    public static void AddWav(RedbookStaging staging, string wavPath, AudioTrackInfo? info = null, IDiscMasterProgressEvents? progress = null, CancellationToken cancellationToken = default)
    {
        var format = WavReader.ReadCdFormat(wavPath);
        long blocks = (format.DataLength + RedbookStaging.BlockSize - 1) / RedbookStaging.BlockSize;
        if (blocks == 0)
            throw new ImapiException(ImapiError.InvalidInput, $"{wavPath}: holds no audio (empty data chunk)");
        if (blocks < RedbookStaging.MinTrackBlocks && !staging.AllowShortTracks)
            throw new ImapiException(ImapiError.InvalidInput, $"{wavPath}: {format.DataLength / 176_400.0:0.##} s of audio; Red Book tracks last at least 4 s");
        if (blocks > staging.AvailableAudioTrackBlocks)
            throw new ImapiException(ImapiError.DiscFull, $"{wavPath}: needs {blocks} blocks after its {RedbookStaging.GapBlocks}-block gap, {staging.AvailableAudioTrackBlocks} are left of {staging.TotalAudioBlocks}");
        staging.CreateAudioTrack(blocks, info);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBlocks * RedbookStaging.BlockSize);
        bool closed = false;
        try
        {
            using var data = WavReader.OpenData(wavPath, format);
            while (true)
            {
                int n = data.ReadAtLeast(buffer.AsSpan(0, ChunkBlocks * RedbookStaging.BlockSize), ChunkBlocks * RedbookStaging.BlockSize, throwOnEndOfStream: false);
                if (n == 0) break;
                int whole = (n + RedbookStaging.BlockSize - 1) / RedbookStaging.BlockSize * RedbookStaging.BlockSize;
                buffer.AsSpan(n, whole - n).Clear(); // the last partial block is padded with digital silence
                staging.AddAudioTrackBlocks(buffer.AsSpan(0, whole), progress, cancellationToken);
                if (n < ChunkBlocks * RedbookStaging.BlockSize) break;
            }
            staging.CloseAudioTrack();
            closed = true;
        }
        finally
        {
            if (!closed) staging.AbortOpenTrack();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
