namespace Runner.Core.Synthetic;

/// <summary>
/// The assignment problem by the Hungarian algorithm (Kuhn–Munkres with potentials, O(n² m) for an
/// n × m matrix with n ≤ m): a one-to-one matching of rows to columns of least total cost.
/// </summary>
public static class Hungarian
{
    /// <summary>
    /// For each row of <paramref name="cost"/> [n, m], the column it is matched to, minimizing the total
    /// cost; every row is matched when n ≤ m, otherwise every column is and the other rows get −1.
    /// </summary>
    public static int[] Minimize(double[,] cost)
    {
        int n = cost.GetLength(0), m = cost.GetLength(1);
        foreach (var c in cost)
            if (!double.IsFinite(c)) throw new ArgumentException("costs must be finite", nameof(cost));
        if (n <= m) return Solve(cost);
        // more rows than columns: match the columns to rows on the transposed matrix
        var transposed = new double[m, n];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++) transposed[j, i] = cost[i, j];
        var columnToRow = Solve(transposed);
        var rowToColumn = Enumerable.Repeat(-1, n).ToArray();
        for (var j = 0; j < m; j++) rowToColumn[columnToRow[j]] = j;
        return rowToColumn;
    }

    /// <summary>The matching of greatest total <paramref name="score"/> (see <see cref="Minimize"/>).</summary>
    public static int[] Maximize(double[,] score)
    {
        int n = score.GetLength(0), m = score.GetLength(1);
        var negated = new double[n, m];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++) negated[i, j] = -score[i, j];
        return Minimize(negated);
    }

    // e-maxx formulation, 1-based internally: u, v are the row and column potentials, p[j] the row
    // matched to column j, way[j] the previous column on the alternating path. Requires n ≤ m.
    private static int[] Solve(double[,] a)
    {
        int n = a.GetLength(0), m = a.GetLength(1);
        var u = new double[n + 1];
        var v = new double[m + 1];
        var p = new int[m + 1];
        var way = new int[m + 1];
        var minv = new double[m + 1];
        var used = new bool[m + 1];
        for (var i = 1; i <= n; i++)
        {
            p[0] = i;
            var j0 = 0;
            Array.Fill(minv, double.PositiveInfinity);
            Array.Fill(used, false);
            do
            {
                used[j0] = true;
                int i0 = p[j0], j1 = 0;
                var delta = double.PositiveInfinity;
                for (var j = 1; j <= m; j++)
                {
                    if (used[j]) continue;
                    var cur = a[i0 - 1, j - 1] - u[i0] - v[j];
                    if (cur < minv[j])
                    {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if (minv[j] < delta)
                    {
                        delta = minv[j];
                        j1 = j;
                    }
                }
                for (var j = 0; j <= m; j++)
                {
                    if (used[j])
                    {
                        u[p[j]] += delta;
                        v[j] -= delta;
                    }
                    else minv[j] -= delta;
                }
                j0 = j1;
            }
            while (p[j0] != 0);
            do
            {
                var j1 = way[j0];
                p[j0] = p[j1];
                j0 = j1;
            }
            while (j0 != 0);
        }
        var assignment = new int[n];
        for (var j = 1; j <= m; j++)
            if (p[j] != 0) assignment[p[j] - 1] = j - 1;
        return assignment;
    }
}
