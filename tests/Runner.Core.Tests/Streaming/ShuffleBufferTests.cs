using Runner.Core.Streaming;
using Runner.Torch;

namespace Runner.Core.Tests.Streaming;

public sealed class ShuffleBufferTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // The first column of every row handed out from `start`, up to `count` rows.
    private static List<long> RowIds(IRowProducer producer, long buffer, ulong seed, long start, long count)
    {
        var ids = new List<long>();
        foreach (var chunk in ShuffleBuffer.Read(producer, buffer, seed, start, Ct))
        {
            using (chunk)
            using (var scope = TensorScope.Enter())
                ids.AddRange(chunk.Select(1, 0).ToArray<float>().Select(v => (long)v));
            if (ids.Count >= count) break;
        }
        return ids.Take((int)count).ToList();
    }

    [Fact]
    public void Every_fresh_row_is_handed_out_once_shuffled_within_its_block()
    {
        var ids = RowIds(new CountingProducer(3, rows: 100), buffer: 32, seed: 5, start: 0, count: 1000);
        Assert.Equal(100, ids.Count);                                              // the short last block included
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), ids.Order());
        for (var b = 0; b < 4; b++)
            Assert.All(ids.Skip(b * 32).Take(32), id => Assert.Equal(b, id / 32));  // block b holds rows [32b, 32b + 32)
        Assert.NotEqual(Enumerable.Range(0, 32).Select(i => (long)i), ids.Take(32)); // and in a shuffled order
    }

    [Fact]
    public void The_order_depends_on_the_seed_only()
    {
        Assert.Equal(RowIds(new CountingProducer(2), 50, 1, 0, 200), RowIds(new CountingProducer(2, chunk: 13), 50, 1, 0, 200));
        Assert.NotEqual(RowIds(new CountingProducer(2), 50, 1, 0, 200), RowIds(new CountingProducer(2), 50, 2, 0, 200));
    }

    [Fact]
    public void Reopening_at_a_position_continues_the_same_stream_and_skips_earlier_blocks_uncomputed()
    {
        var full = RowIds(new CountingProducer(2), 40, 9, 0, 300);
        var producer = new CountingProducer(2);
        var resumed = RowIds(producer, 40, 9, 173, 127);
        Assert.Equal(full.Skip(173), resumed);
        Assert.InRange(producer.Computed, 160, 160 + 7);   // rows 160..319 (blocks 4..7), never rows 0..159
    }

    [Fact]
    public void Reading_a_stream_leaves_no_tensor_alive()
    {
        RowIds(new CountingProducer(4), 16, 1, 3, 100);   // warm-up
        var before = Sae.SaeTestKit.SettledLiveCount();
        RowIds(new CountingProducer(4), 16, 1, 3, 100);
        RowIds(new CountingProducer(4, rows: 50), 16, 1, 0, 1000);
        Assert.Equal(before, Sae.SaeTestKit.SettledLiveCount());
    }
}
