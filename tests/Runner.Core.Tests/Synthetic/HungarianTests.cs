using Runner.Core.Synthetic;

namespace Runner.Core.Tests.Synthetic;

public sealed class HungarianTests
{
    private static IEnumerable<int[]> Permutations(int[] items, int length)
    {
        if (length == 0)
        {
            yield return [];
            yield break;
        }
        foreach (var first in items)
            foreach (var rest in Permutations([.. items.Where(i => i != first)], length - 1))
                yield return [first, .. rest];
    }

    // least total cost over every injective map from the smaller side to the larger one
    private static double BruteForce(double[,] cost)
    {
        int n = cost.GetLength(0), m = cost.GetLength(1);
        var best = double.PositiveInfinity;
        if (n <= m)
            foreach (var p in Permutations([.. Enumerable.Range(0, m)], n))
                best = Math.Min(best, Enumerable.Range(0, n).Sum(i => cost[i, p[i]]));
        else
            foreach (var p in Permutations([.. Enumerable.Range(0, n)], m))
                best = Math.Min(best, Enumerable.Range(0, m).Sum(j => cost[p[j], j]));
        return best;
    }

    private static double Total(double[,] cost, int[] assignment) =>
        Enumerable.Range(0, assignment.Length).Where(i => assignment[i] >= 0).Sum(i => cost[i, assignment[i]]);

    private static void AssertValid(int[] assignment, int n, int m)
    {
        Assert.Equal(n, assignment.Length);
        var used = assignment.Where(j => j >= 0).ToList();
        Assert.Equal(Math.Min(n, m), used.Count);
        Assert.Equal(used.Count, used.Distinct().Count());
        Assert.All(used, j => Assert.InRange(j, 0, m - 1));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 3)]
    [InlineData(5, 5)]
    [InlineData(6, 6)]
    [InlineData(3, 6)]
    [InlineData(4, 7)]
    [InlineData(6, 3)]
    [InlineData(7, 2)]
    public void Minimum_cost_matching_equals_brute_force_on_random_matrices(int n, int m)
    {
        var random = new Random(n * 100 + m);
        for (var trial = 0; trial < 20; trial++)
        {
            var cost = new double[n, m];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < m; j++)
                    cost[i, j] = trial % 2 == 0 ? random.NextDouble() * 10 - 5 : random.Next(0, 4);   // ties on odd trials
            var assignment = Hungarian.Minimize(cost);
            AssertValid(assignment, n, m);
            Assert.Equal(BruteForce(cost), Total(cost, assignment), 1e-9);
        }
    }

    [Fact]
    public void Greedy_choice_is_not_taken_when_the_optimum_differs()
    {
        // greedy takes (0,0) = 1 then (1,1) = 100; the optimum is (0,1) + (1,0) = 2 + 3
        double[,] cost = { { 1, 2 }, { 3, 100 } };
        Assert.Equal([1, 0], Hungarian.Minimize(cost));
    }

    [Fact]
    public void Maximize_finds_the_largest_total()
    {
        double[,] score = { { 0.9, 0.8, 0.1 }, { 0.85, 0.2, 0.3 } };
        // 0.8 + 0.85 = 1.65 beats 0.9 + 0.3 = 1.2
        Assert.Equal([1, 0], Hungarian.Maximize(score));
    }

    [Fact]
    public void Extra_rows_stay_unmatched()
    {
        double[,] cost = { { 5 }, { 1 }, { 3 } };
        Assert.Equal([-1, 0, -1], Hungarian.Minimize(cost));
    }

    [Fact]
    public void Non_finite_costs_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Hungarian.Minimize(new double[,] { { 1, double.NaN } }));
        Assert.StartsWith("costs must be finite", e.Message);
    }
}
