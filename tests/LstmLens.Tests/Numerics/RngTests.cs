// The project's random generator: a seed fixes the stream, Split gives streams that differ from the
// parent and from each other, NextInt is uniform on [0, n), and a saved state resumes the stream.
using LstmLens.Numerics;
using Xunit;

namespace LstmLens.Tests.Numerics;

public class RngTests
{
    private static ulong[] Draw(Rng rng, int count) => Enumerable.Range(0, count).Select(_ => rng.NextUInt64()).ToArray();

    [Fact]
    public void Same_seed_gives_the_same_stream_and_different_seeds_differ()
    {
        Assert.Equal(Draw(new Rng(42), 100), Draw(new Rng(42), 100));
        Assert.NotEqual(Draw(new Rng(42), 100), Draw(new Rng(43), 100));
    }

    [Fact]
    public void Split_streams_differ_from_the_parent_and_from_each_other_and_are_reproducible()
    {
        var parent = new Rng(7);
        var first = parent.Split();
        var second = parent.Split();
        ulong[] parentDraws = Draw(parent, 100), firstDraws = Draw(first, 100), secondDraws = Draw(second, 100);
        Assert.Empty(firstDraws.Intersect(secondDraws));
        Assert.Empty(firstDraws.Intersect(parentDraws));
        Assert.Empty(secondDraws.Intersect(parentDraws));

        var again = new Rng(7);
        Assert.Equal(firstDraws, Draw(again.Split(), 100));
    }

    [Fact]
    public void NextInt_stays_in_range_and_is_uniform()
    {
        var rng = new Rng(3);
        const int n = 7, draws = 70_000;
        var counts = new int[n];
        for (int i = 0; i < draws; i++) counts[rng.NextInt(n)]++;   // out of range would throw here
        // Chi-square with 6 degrees of freedom: P(χ² > 22.46) = 0.001.
        double expected = (double)draws / n;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 22.46, $"χ² = {chiSquare:F2} for counts {string.Join(", ", counts)}");

        Assert.All(Enumerable.Range(0, 100), _ => Assert.Equal(0, rng.NextInt(1)));
        int big = int.MaxValue;
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.InRange(rng.NextInt(big), 0, big - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }

    [Fact]
    public void State_round_trips()
    {
        var rng = new Rng(11);
        Draw(rng, 5);
        ulong[] state = rng.GetState();
        ulong[] continued = Draw(rng, 50);
        var restored = new Rng(999);
        restored.SetState(state);
        Assert.Equal(continued, Draw(restored, 50));
        Assert.Throws<ArgumentException>(() => restored.SetState(new ulong[3]));
    }

    [Fact]
    public void Uniform_draws_stay_in_range()
    {
        var rng = new Rng(5);
        var values = new float[10_000];
        rng.FillUniform<float>(values, 0.1);
        Assert.All(values, v => Assert.InRange(v, -0.1f, 0.1f));
        Assert.InRange(values.Average(), -0.005, 0.005);
    }
}
