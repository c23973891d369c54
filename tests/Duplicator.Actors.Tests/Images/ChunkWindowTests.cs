using Duplicator.Actors.Images;

namespace Duplicator.Actors.Tests.Images;

/// <summary>The shared window as a plain data structure: cursors, the slowest, release, detaching, the free list.</summary>
public sealed class ChunkWindowTests
{
    private const int Bytes = 16;

    /// <summary>Reads until the window is full or the image is read, each chunk's buffer filled with its index.</summary>
    private static List<byte[]> Fill(ChunkWindow<string> w)
    {
        var used = new List<byte[]>();
        while (w.CanRead)
        {
            long index = w.Head;
            var b = w.BeginRead();
            Array.Fill(b, (byte)index);
            used.Add(b);
            w.EndRead(b, Bytes);
        }
        return used;
    }

    private static long[] Sent(IReadOnlyList<(string Reader, long Index)> sends, string reader) =>
        [.. sends.Where(s => s.Reader == reader).Select(s => s.Index)];

    [Fact]
    public void Readers_in_step_share_every_chunk_read_once_and_nothing_goes_out_before_the_window_is_full()
    {
        var w = new ChunkWindow<string>(totalChunks: 10, capacity: 4, Bytes);
        Assert.True(w.Join("a"));
        Assert.True(w.Join("b"));
        var first = w.BeginRead();
        w.EndRead(first, Bytes);
        Assert.Empty(w.TakeSends()); // primed only with 4 chunks in hand

        Fill(w);
        Assert.Equal(4, w.Head);
        var sends = w.TakeSends();
        Assert.Equal([0L, 1, 2, 3], Sent(sends, "a"));
        Assert.Equal([0L, 1, 2, 3], Sent(sends, "b"));
        Assert.False(w.CanRead); // full: the slowest holds chunk 0

        w.Consumed("a", 0);
        Assert.False(w.CanRead); // b still needs chunk 0
        w.Consumed("b", 0);
        Assert.Equal(1, w.Low);
        Assert.True(w.CanRead);
        Assert.Same(first, w.BeginRead()); // chunk 0's memory, released by both, carries chunk 4
        Assert.Equal(4, w.Allocated);
    }

    [Fact]
    public void A_reader_half_a_window_behind_the_fastest_is_detached_and_the_window_moves_on_without_it()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 8, Bytes);
        w.Join("fast");
        w.Join("slow");
        Fill(w);
        w.TakeSends();
        w.Consumed("fast", 5); // 2 in hand: not yet running low (LowWater 2)
        Assert.Empty(w.DetachLaggards());
        Assert.False(w.CanRead);

        w.Consumed("fast", 6); // 1 in hand while slow, at chunk 0, fills the window
        Assert.Equal(["slow"], w.DetachLaggards());
        Assert.False(w.IsAttached("slow"));
        Assert.Equal(7, w.Low); // the window follows the fast reader alone now
        Assert.True(w.CanRead);
        var more = Fill(w);
        Assert.Equal(7, more.Count);
        Assert.Equal(15, w.Head);
        Assert.Equal(Enumerable.Range(8, 7).Select(i => (long)i), Sent(w.TakeSends(), "fast"));
        Assert.Empty(Sent(w.TakeSends(), "slow")); // it reads on from the stash on its own
    }

    [Fact]
    public void A_detached_reader_keeps_the_chunks_it_holds_until_it_has_consumed_them()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes);
        w.Join("fast");
        w.Join("slow");
        var buffers = Fill(w);
        w.TakeSends();
        w.Consumed("fast", 3);
        Assert.Equal(["slow"], w.DetachLaggards());
        Assert.Equal(4, w.Low);

        // chunks 0-3 left the window but slow still holds them: none may carry another chunk yet
        var next = Fill(w);
        Assert.Equal(4, next.Count);
        Assert.All(next, b => Assert.DoesNotContain(b, buffers));
        Assert.All(buffers, b => Assert.Equal(b[0], (byte)buffers.IndexOf(b)));
        w.Consumed("slow", 1);
        Assert.Equal(2, w.Free); // 0 and 1, consumed by slow, come back; 2 and 3 are still in its hand
        w.Consumed("fast", 5);
        var reused = Fill(w);
        Assert.DoesNotContain(buffers[2], reused);
        Assert.DoesNotContain(buffers[3], reused);
        Assert.Equal(2, buffers[2][0]);
        Assert.Equal(3, buffers[3][0]);
    }

    [Fact]
    public void Chunks_a_reader_held_when_it_left_are_never_reused()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes);
        w.Join("a");
        w.Join("gone");
        var buffers = Fill(w);
        w.TakeSends();
        w.Consumed("gone", 0);
        w.Leave("gone"); // its drive thread may still be copying chunks 1-3 out

        for (int i = 0; i < 20; i++)
        {
            w.Consumed("a", w.Head - 1);
            var refill = Fill(w);
            if (i == 0) Assert.Contains(buffers[0], refill); // chunk 0, which it had consumed, was reusable
            foreach (var b in refill) Assert.DoesNotContain(b, buffers.Skip(1));
            w.TakeSends();
        }
        Assert.Equal([1, 2, 3], buffers.Skip(1).Select(b => (int)b[0])); // untouched: never handed to another chunk
        Assert.Equal(7, w.Allocated); // the three it held were replaced once by new buffers, then memory is reused
    }

    [Fact]
    public void A_reader_that_catches_up_is_attached_again_from_the_chunk_it_needs()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes);
        w.Join("a");
        w.Join("b");
        Fill(w);
        w.TakeSends();
        w.Consumed("a", 3);
        Assert.Equal(["b"], w.DetachLaggards());
        Fill(w); // chunks 4-7
        w.TakeSends();
        Assert.Empty(w.Reattach()); // b at chunk 0: behind the window

        w.Consumed("b", 6); // b read 0-6 (from its hand, then from the stash itself) and is now near the window's head
        Assert.Equal(["b"], w.Reattach());
        Assert.True(w.IsAttached("b"));
        Assert.Equal([7L], Sent(w.TakeSends(), "b")); // only what it lacks, not the chunks it read alone
        Assert.Equal(4, w.Low);
    }

    [Fact]
    public void A_late_reader_joins_only_while_chunk_0_is_in_the_window()
    {
        var w = new ChunkWindow<string>(totalChunks: 10, capacity: 4, Bytes);
        w.Join("a");
        Fill(w);
        w.TakeSends();
        Assert.True(w.Join("late"));
        Assert.Equal([0L, 1, 2, 3], Sent(w.TakeSends(), "late"));
        w.Consumed("a", 0);
        w.Consumed("late", 0);
        Assert.False(w.Join("later")); // chunk 0 is gone: it needs a wave of its own
        Assert.Equal(2, w.Readers);
    }

    [Fact]
    public void Nothing_is_read_for_a_window_with_no_attached_reader()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes);
        w.Join("a");
        w.Join("b");
        Fill(w);
        w.TakeSends();
        w.Consumed("a", 3);
        Assert.Equal(["b"], w.DetachLaggards());
        w.Leave("a");
        Assert.Equal(0, w.AttachedReaders);
        Assert.False(w.CanRead); // b reads alone; the window reads nothing nobody in step wants
    }

    [Fact]
    public void Laggards_are_detached_only_once_they_have_held_the_window_back_for_the_grace_without_a_break()
    {
        static TimeSpan ms(double v) => TimeSpan.FromMilliseconds(v);
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes, lagGrace: ms(100));
        w.Join("fast");
        w.Join("jittery");
        Fill(w);
        w.TakeSends();
        w.Consumed("fast", 3); // nothing left in hand, jittery at chunk 0
        Assert.Empty(w.DetachLaggards(ms(1000)));
        Assert.Equal(ms(1000), w.HeldBackSince);
        Assert.Empty(w.DetachLaggards(ms(1060)));

        w.Consumed("jittery", 2); // it was only late: the hold is over, the clock starts again
        Assert.Empty(w.DetachLaggards(ms(1070)));
        Assert.Null(w.HeldBackSince);
        Fill(w);
        w.TakeSends();
        w.Consumed("fast", 6);
        Assert.Empty(w.DetachLaggards(ms(1100)));
        Assert.Empty(w.DetachLaggards(ms(1199)));
        Assert.Equal(["jittery"], w.DetachLaggards(ms(1200)));
        Assert.Null(w.HeldBackSince);
    }

    [Fact]
    public void When_most_of_the_window_is_behind_one_reader_that_ran_ahead_that_one_reads_on_alone()
    {
        var w = new ChunkWindow<string>(totalChunks: 100, capacity: 4, Bytes);
        foreach (var r in new[] { "a", "b", "c", "runner" }) w.Join(r);
        Fill(w);
        w.TakeSends();
        w.Consumed("runner", 3); // the host ran its thread while the other three waited for a core
        Assert.Equal(["runner"], w.DetachLaggards());
        Assert.Equal(3, w.AttachedReaders);
        Assert.Equal(0, w.Low); // the window stays with the three
        Assert.False(w.CanRead);
        w.Consumed("runner", 9); // reading alone, ahead of the window's head: it is not taken back
        Assert.Empty(w.Reattach());
    }
}
