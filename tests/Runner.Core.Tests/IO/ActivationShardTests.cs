using Runner.Core.Tests.Sae;
using Runner.Core.Data;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Tests.IO;

public sealed class ActivationShardTests : IDisposable
{
    private const int DIn = 8;
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    // Row r holds r * 1000 + j in column j (exact in float32), token id r + 7, label r % 5.
    private static Tensor Row(long first, long count)
    {
        using var scope = TensorScope.Enter();
        var r = Tensors.Arange(first, first + count, 1, DType.Float32).Unsqueeze(1) * 1000;
        return scope.Keep(r + Tensors.Arange(0, DIn, 1, DType.Float32).Unsqueeze(0)).DetachFromScope();
    }

    /// <summary>Writes rows [0, rows) in appends of <paramref name="chunk"/> rows; small shards so there are several.</summary>
    private ActivationIndex WriteDataset(string name, long rows, int sequence, long maxShardBytes = 4096, bool labels = true, DType? dtype = null, int chunk = 100, bool sha = false)
    {
        using var writer = ActivationShardWriter.Create(_dir[name], new ActivationShardOptions
        {
            DIn = DIn, SequenceLength = sequence, Labels = labels, MaxShardBytes = maxShardBytes, DType = dtype ?? DType.Float32, ComputeSha256 = sha,
            Metadata = new Dictionary<string, string> { ["hook"] = "blocks.0.hook_mlp_out" },
        });
        for (long first = 0; first < rows; first += chunk)
        {
            using var scope = TensorScope.Enter();
            var n = Math.Min(chunk, rows - first);
            using var x = Row(first, n);
            var ids = Tensors.Arange(first + 7, first + 7 + n, 1, DType.Int64);
            writer.Append(x, ids, labels ? Tensors.Arange(first, first + n, 1, DType.Int64).Remainder(5) : null);
        }
        return writer.Complete();
    }

    private static long RowOf(ActivationBatch batch, int i) => (long)batch.Activations.Select(0, i).Select(0, 0).ToDouble() / 1000;

    private static long[] Tokens(ActivationBatch b) => b.TokenIds!.ToArray<long>();

    private static void CheckConsistent(ActivationBatch batch)
    {
        using var scope = TensorScope.Enter();
        var tokens = Tokens(batch);
        var labels = batch.Labels?.ToArray<long>();
        for (var i = 0; i < tokens.Length; i++)
        {
            var row = tokens[i] - 7;
            Assert.True(batch.Activations.Select(0, i).Equal(Row(row, 1).Squeeze(0)), $"row {row}");
            if (labels is not null) Assert.Equal(row % 5, labels[i]);
        }
    }

    [Fact]
    public void Sequential_read_returns_every_row_in_order_across_shards()
    {
        var index = WriteDataset("d", rows: 1000, sequence: 10);
        Assert.True(index.Shards.Count >= 3, $"{index.Shards.Count} shards");
        Assert.All(index.Shards, s => Assert.Equal(0, s.Rows % 10));
        Assert.Equal(1000, index.Rows);

        using var reader = ActivationShardReader.Open(_dir["d"]);
        Assert.Equal("blocks.0.hook_mlp_out", reader.Index.Metadata["hook"]);
        var next = 0L;
        foreach (var batch in reader.ReadSequential(64))
        {
            using (batch)
            {
                Assert.Equal(Math.Min(64, 1000 - next), batch.Count);
                Assert.Equal(Enumerable.Range((int)next + 7, (int)batch.Count).Select(i => (long)i), Tokens(batch));
                CheckConsistent(batch);
                next += batch.Count;
            }
        }
        Assert.Equal(1000, next);

        using var some = reader.ReadRows(75, 10); // spans the first shard boundary (80 rows per shard here)
        Assert.Equal(80, reader.Index.Shards[0].Rows);
        Assert.Equal(Enumerable.Range(75 + 7, 10).Select(i => (long)i), Tokens(some));
        CheckConsistent(some);
    }

    [Fact]
    public void Shuffled_epoch_is_a_permutation_mixing_sequences_and_shards()
    {
        WriteDataset("d", rows: 1000, sequence: 10);
        using var reader = ActivationShardReader.Open(_dir["d"]);
        var seen = new List<long>();
        var first = true;
        foreach (var batch in reader.Read(100, seed: 1))
        {
            using (batch)
            {
                CheckConsistent(batch);
                var rows = Tokens(batch).Select(t => t - 7).ToArray();
                Assert.Equal(rows.Order(), rows); // ascending inside a batch
                if (first)
                {
                    Assert.True(rows.Select(r => r / 10).Distinct().Count() > 50, "one batch should draw from many sequences");
                    Assert.True(rows.Select(r => reader.Index.Shards.Count(s => s.FirstRow <= r)).Distinct().Count() > 2, "and from several shards");
                    first = false;
                }
                seen.AddRange(rows);
            }
        }
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000).Select(i => (long)i), seen);
    }

    private static List<long[]> Stream(ActivationShardReader reader, int batch, ulong seed, long start = 0, int? epochs = 1, int? take = null)
    {
        var batches = reader.Read(batch, seed, start, epochs);
        if (take is { } n) batches = batches.Take(n);
        var result = new List<long[]>();
        foreach (var b in batches)
            using (b) result.Add(Tokens(b));
        return result;
    }

    [Fact]
    public void Same_seed_gives_the_same_stream_and_another_seed_another()
    {
        WriteDataset("d", rows: 300, sequence: 1, chunk: 300);
        using var reader = ActivationShardReader.Open(_dir["d"], new ActivationReadOptions { Prefetch = 0 });
        using var prefetched = ActivationShardReader.Open(_dir["d"], new ActivationReadOptions { Prefetch = 2 });
        var a = Stream(reader, 32, seed: 5, epochs: 2);
        Assert.Equal(a, Stream(prefetched, 32, seed: 5, epochs: 2));
        Assert.NotEqual(a, Stream(reader, 32, seed: 6, epochs: 2));
        // epochs are shuffled differently
        var flat = a.SelectMany(x => x).ToArray();
        Assert.NotEqual(flat[..32], flat[300..332]);
    }

    [Fact]
    public void Resuming_at_a_row_position_yields_the_tail_of_the_full_stream()
    {
        WriteDataset("d", rows: 250, sequence: 5);
        using var reader = ActivationShardReader.Open(_dir["d"]);
        const int batch = 48; // does not divide 250: batches straddle epochs
        var full = Stream(reader, batch, seed: 9, epochs: 3);
        Assert.Equal(750, full.Sum(b => b.Length));
        Assert.Equal(750 % batch, full[^1].Length);
        foreach (var k in new[] { 1, 5, 6, 15 })
            Assert.Equal(full[k..], Stream(reader, batch, seed: 9, start: (long)k * batch, epochs: 3));
        // an endless stream begins as the finite one does
        Assert.Equal(full[..14], Stream(reader, batch, seed: 9, epochs: null, take: 14));
        Assert.Equal(full[3..14], Stream(reader, batch, seed: 9, start: 3 * batch, epochs: null, take: 11));
        // the trainer's view: IActivationSource.Read(startRow, batchSize)
        var source = reader.AsSource(seed: 9);
        var viaSource = source.Read(7 * batch, batch).Take(4).Select(b => { using (b) return Tokens(b); }).ToList();
        Assert.Equal(full[7..11], viaSource);
    }

    [Fact]
    public void Prefetch_leaves_no_live_tensors_after_an_early_stop_or_a_full_read()
    {
        var baseline = SaeTestKit.SettledLiveCount();
        WriteDataset("d", rows: 600, sequence: 2);
        Assert.Equal(baseline, SaeTestKit.SettledLiveCount());
        using (var reader = ActivationShardReader.Open(_dir["d"], new ActivationReadOptions { Prefetch = 4 }))
        {
            var mapped = SaeTestKit.SettledLiveCount();
            foreach (var batch in reader.Read(16, seed: 2, epochs: null))
            {
                batch.Dispose();
                if (Tensor.LiveCount > mapped + 64) Assert.Fail("prefetch should be bounded");
                break; // the producer is blocked on a full queue here; stopping must drain it
            }
            Assert.Equal(mapped, SaeTestKit.SettledLiveCount());
            foreach (var batch in reader.ReadSequential(50)) batch.Dispose();
            Assert.Equal(mapped, SaeTestKit.SettledLiveCount());
        }
        Assert.Equal(baseline, SaeTestKit.SettledLiveCount());
    }

    [Fact]
    public void A_failure_on_the_prefetch_thread_reaches_the_consumer()
    {
        var baseline = SaeTestKit.SettledLiveCount();
        WriteDataset("d", rows: 200, sequence: 1);
        var reader = ActivationShardReader.Open(_dir["d"], new ActivationReadOptions { Prefetch = 2 });
        using (var batches = reader.Read(8, seed: 3, epochs: null).GetEnumerator())
        {
            Assert.True(batches.MoveNext());
            batches.Current.Dispose();
            reader.Dispose(); // the producer's next gather touches disposed shard tensors
            var e = Assert.Throws<ObjectDisposedException>(() =>
            {
                while (batches.MoveNext()) batches.Current.Dispose();
            });
            Assert.Contains("disposed", e.Message);
        }
        Assert.Equal(baseline, SaeTestKit.SettledLiveCount());
    }

    [Fact]
    public void Batches_belong_to_the_consumer_not_to_a_scope()
    {
        WriteDataset("d", rows: 100, sequence: 1, labels: false);
        using var reader = ActivationShardReader.Open(_dir["d"], new ActivationReadOptions { Prefetch = 0 });
        ActivationBatch kept;
        using (var scope = TensorScope.Enter())
        {
            kept = reader.Read(10, seed: 1).First();
            Assert.Equal(0, scope.Count);
        }
        Assert.False(kept.Activations.IsDisposed);
        Assert.Null(kept.Labels);
        kept.Dispose();
    }

    [Fact]
    public void Bfloat16_storage_round_trips_within_bfloat16_precision()
    {
        using var writer = ActivationShardWriter.Create(_dir["b"], new ActivationShardOptions { DIn = 16, DType = DType.BFloat16, MaxShardBytes = 1024 });
        Tensor x;
        using (var scope = TensorScope.Enter())
        {
            using var g = new Generator(4);
            x = scope.Keep(Tensors.Randn([200, 16], g) * 3).DetachFromScope();
            writer.Append(x, Tensors.Arange(200));
        }
        writer.Complete();
        using (x)
        using (var reader = ActivationShardReader.Open(_dir["b"], new ActivationReadOptions { DType = DType.Float32 }))
        using (var stored = ActivationShardReader.Open(_dir["b"]))
        using (var scope = TensorScope.Enter())
        {
            Assert.Equal(DType.BFloat16, reader.Index.DType);
            using var raw = stored.ReadRows(0, 200);
            Assert.Equal(DType.BFloat16, raw.Activations.DType);
            using var all = reader.ReadRows(0, 200);
            Assert.Equal(DType.Float32, all.Activations.DType);
            // bfloat16 keeps 8 significant bits: round-to-nearest errs by at most the unit roundoff 2^-8, relative
            var error = (all.Activations - x).Abs() - x.Abs() * Math.Pow(2, -8);
            Assert.True(error.Max().ToDouble() <= 1e-30, "bf16 round trip beyond half an ulp");
            Assert.True((all.Activations - x).Abs().Max().ToDouble() > 0, "values were stored as bf16");
        }
    }

    [Fact]
    public void Writer_rejects_partial_sequences_wrong_widths_and_missing_labels()
    {
        using var writer = ActivationShardWriter.Create(_dir["w"], new ActivationShardOptions { DIn = DIn, SequenceLength = 4, Labels = true });
        using var scope = TensorScope.Enter();
        var ids = Tensors.Arange(6);
        Assert.Contains("6 rows are not whole sequences of 4", Assert.Throws<ArgumentException>(() => writer.Append(Tensors.Zeros([6, DIn]), ids, ids)).Message);
        Assert.Contains($"activations must be [n, {DIn}], got [8, 3]", Assert.Throws<ArgumentException>(() => writer.Append(Tensors.Zeros([8, 3]), Tensors.Arange(8))).Message);
        Assert.Contains("this dataset has labels", Assert.Throws<ArgumentException>(() => writer.Append(Tensors.Zeros([8, DIn]), Tensors.Arange(8))).Message);
        Assert.Contains("tokenIds must hold integers", Assert.Throws<ArgumentException>(() => writer.Append(Tensors.Zeros([4, DIn]), Tensors.Zeros([4]), Tensors.Arange(4))).Message);
    }

    [Fact]
    public void A_dataset_abandoned_before_Complete_leaves_nothing_readable()
    {
        using (var writer = ActivationShardWriter.Create(_dir["u"], new ActivationShardOptions { DIn = DIn, MaxShardBytes = 256 }))
        using (var scope = TensorScope.Enter())
            writer.Append(Tensors.Zeros([100, DIn]), Tensors.Arange(100));
        Assert.Empty(Directory.GetFiles(_dir["u"]));
        var e = Assert.Throws<RunnerException>(() => ActivationShardReader.Open(_dir["u"]));
        Assert.Contains("not an activation dataset (index.json is missing", e.Message);
    }

    [Fact]
    public void Damaged_datasets_are_reported_with_the_file()
    {
        WriteDataset("d", rows: 100, sequence: 10, sha: true);
        var folder = _dir["d"];
        var shard = Path.Combine(folder, "shard-00001.safetensors");
        using (var reader = ActivationShardReader.Open(folder))
        {
            Assert.Equal(reader.Index.Shards.Count, reader.VerifyChecksums());
            var bytes = File.ReadAllBytes(shard);
            bytes[^1] ^= 0x40;
            File.WriteAllBytes(shard, bytes);
            Assert.Contains($"{shard}: SHA-256 is", Assert.Throws<RunnerException>(() => reader.VerifyChecksums()).Message);
        }

        File.WriteAllBytes(shard, File.ReadAllBytes(shard)[..^10]);
        Assert.Contains($"{shard}: shard is", Assert.Throws<RunnerException>(() => ActivationShardReader.Open(folder)).Message);

        var indexPath = Path.Combine(folder, ActivationIndex.FileName);
        File.WriteAllText(indexPath, File.ReadAllText(indexPath).Replace("\"rows\": 100,", "\"rows\": 90,"));
        Assert.Equal($"{indexPath}: rows: is 90 but the shards hold 100", Assert.Throws<RunnerException>(() => ActivationShardReader.Open(folder)).Message);
    }

    [Fact]
    public void Float16_storage_round_trips_within_float16_precision_and_reads_back_in_shuffled_batches()
    {
        using var writer = ActivationShardWriter.Create(_dir["h"], new ActivationShardOptions { DIn = 16, DType = DType.Float16, MaxShardBytes = 1024 });
        Tensor x;
        using (var scope = TensorScope.Enter())
        {
            using var g = new Generator(5);
            x = scope.Keep(Tensors.Randn([200, 16], g) * 3).DetachFromScope();
            writer.Append(x, Tensors.Arange(200));
        }
        Assert.True(writer.Complete().Shards.Count > 1);
        using (x)
        using (var reader = ActivationShardReader.Open(_dir["h"], new ActivationReadOptions { DType = DType.Float32 }))
        using (var scope = TensorScope.Enter())
        {
            Assert.Equal(DType.Float16, reader.Index.DType);
            using var all = reader.ReadRows(0, 200);
            // float16 keeps 11 significant bits: relative error at most 2^-11 (all values here are far above its subnormals)
            var error = (all.Activations - x).Abs() - x.Abs() * Math.Pow(2, -11);
            Assert.True(error.Max().ToDouble() <= 1e-6, "f16 round trip beyond half an ulp");
            var rows = 0L;
            foreach (var batch in reader.Read(64, seed: 1))
                using (batch) rows += batch.Count;
            Assert.Equal(200, rows);
        }
    }

    [Fact]
    public void The_writer_holds_at_most_one_shard_in_memory_however_many_rows_are_appended()
    {
        var options = new ActivationShardOptions { DIn = 32, DType = DType.Float16, MaxShardBytes = 64 << 10, SequenceLength = 4, Labels = true };
        using var writer = ActivationShardWriter.Create(_dir["m"], options);
        var bound = 0L;
        for (var i = 0; i < 400; i++)   // 400 appends of 256 rows: 102k rows, ~7.4 MB on disk, 100+ shards
        {
            using var scope = TensorScope.Enter();
            writer.Append(Tensors.Ones([256, 32]), Tensors.Arange(256), Tensors.Zeros([256], DType.Int64));
            bound = Math.Max(bound, writer.BufferedBytes);
        }
        var index = writer.Complete();
        Assert.Equal(102_400, index.Rows);
        Assert.True(index.Shards.Count > 100);
        // One shard of rows in the storage dtype, plus token ids and labels (and their lists' slack up to one append).
        var shardRows = writer.RowsPerShard;
        Assert.True(bound <= shardRows * 32 * 2 + 8 * 2 * (shardRows + 256) * 2, $"buffered {bound} bytes for shards of {shardRows} rows");
    }

    [Theory]
    [InlineData(1, false, 1000)]
    [InlineData(64, true, 102_400)]
    [InlineData(16, false, 250_000)]
    public void EstimateBytes_matches_what_the_writer_writes_within_1_percent(int sequence, bool labels, long rows)
    {
        var options = new ActivationShardOptions
        {
            DIn = 24, DType = DType.BFloat16, SequenceLength = sequence, Labels = labels, MaxShardBytes = 1 << 20,
            Metadata = new Dictionary<string, string> { ["hook"] = "blocks.0.hook_resid_post", ["model"] = "/some/where/gpt2" },
        };
        using (var writer = ActivationShardWriter.Create(_dir["e"], options))
        {
            for (long done = 0; done < rows;)
            {
                using var scope = TensorScope.Enter();
                var n = Math.Min(rows - done, 6400);
                writer.Append(Tensors.Zeros([n, 24]), Tensors.Arange(n), labels ? Tensors.Zeros([n], DType.Int64) : null);
                done += n;
            }
            writer.Complete();
        }
        var actual = Directory.GetFiles(_dir["e"]).Sum(f => new FileInfo(f).Length);
        Assert.InRange((double)ActivationShardWriter.EstimateBytes(options, rows) / actual, 0.99, 1.01);
    }
}
