using Runner.Core.Models;
using Runner.Core.Streaming;
using Runner.Torch;
using static Runner.Core.Tests.Models.ModelTestKit;

namespace Runner.Core.Tests.Streaming;

public sealed class ModelRowProducerTests
{
    private const int Context = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // 30 seeded sequences of Context tokens; token 52 (BOS) starts every sequence and appears inside some.
    private static IEnumerable<int[]> Sequences()
    {
        var random = new SplitMix64(11);
        for (var s = 0; s < 30; s++)
            yield return [52, .. Enumerable.Range(0, Context - 1).Select(_ => (int)random.NextBelow(53))];
    }

    private static float[] All(IRowProducer producer, long start)
    {
        var rows = new List<float>();
        foreach (var chunk in producer.Rows(start, Ct))
            using (chunk) rows.AddRange(chunk.ToArray<float>());
        return [.. rows];
    }

    private static bool[] Special()
    {
        var special = new bool[53];
        special[52] = true;
        return special;
    }

    [Fact]
    public void Rows_skip_special_tokens_and_side_by_side_hook_points_equal_each_point_alone()
    {
        using var model = Model("gpt2");
        var a = new HookPoint(0, HookSite.MlpHidden);   // width 24
        var b = new HookPoint(1, HookSite.ResidMid);    // width 16
        var both = All(new ModelRowProducer(model, [a, b], Sequences, Special(), tokensPerForward: 24, context: Context), 0);
        var onlyA = All(new ModelRowProducer(model, [a], Sequences, Special(), tokensPerForward: 24, context: Context), 0);
        var onlyB = All(new ModelRowProducer(model, [b], Sequences, Special(), tokensPerForward: 24, context: Context), 0);
        var rows = Sequences().Sum(s => s.Count(id => id != 52));
        Assert.Equal(rows * 24, onlyA.Length);
        Assert.Equal(rows * 40, both.Length);
        for (var r = 0; r < rows; r++)
        {
            Assert.Equal(onlyA.AsSpan(r * 24, 24).ToArray(), both.AsSpan(r * 40, 24).ToArray());
            Assert.Equal(onlyB.AsSpan(r * 16, 16).ToArray(), both.AsSpan(r * 40 + 24, 16).ToArray());
        }
    }

    [Fact]
    public void Starting_at_a_row_gives_the_rest_of_the_stream_bit_for_bit()
    {
        using var model = Model("llama_gqa");
        var point = new HookPoint(1, HookSite.ResidPost);
        var full = All(new ModelRowProducer(model, [point], Sequences, Special(), tokensPerForward: 32, context: Context), 0);
        var rest = All(new ModelRowProducer(model, [point], Sequences, Special(), tokensPerForward: 32, context: Context), 45);
        Assert.Equal(full.Skip(45 * 16).ToArray(), rest);
    }

    [Fact]
    public void Producing_rows_through_the_shuffle_buffer_on_a_producer_thread_leaves_no_tensor_alive()
    {
        using var model = Model("gpt2");
        void Run()
        {
            var producer = new ModelRowProducer(model, [new HookPoint(0, HookSite.MlpHidden), new HookPoint(1, HookSite.ResidPost)], Sequences, Special(), 24, Context);
            var thread = new Thread(() =>
            {
                foreach (var chunk in ShuffleBuffer.Read(producer, 50, 3, 17, Ct)) chunk.Dispose();
            });
            thread.Start();
            thread.Join();
        }
        Run();   // warm-up
        var before = Sae.SaeTestKit.SettledLiveCount();
        Run();
        Assert.Equal(before, Sae.SaeTestKit.SettledLiveCount());
    }
}
