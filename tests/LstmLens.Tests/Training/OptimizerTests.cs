using LstmLens.Training;

namespace LstmLens.Tests.Training;

public class OptimizerTests
{
    [Fact]
    public void Sgd_with_momentum_follows_the_pytorch_rule()
    {
        var sgd = new Sgd<double>(2, learningRate: 0.1, momentum: 0.9);
        double[] w = [1, -2];
        sgd.Step(w, [0.5, 1.0]);   // v = g
        sgd.Step(w, [0.5, 1.0]);   // v = 0.9 g + g
        Assert.Equal(1 - 0.1 * 0.5 - 0.1 * 0.95, w[0], 12);
        Assert.Equal(-2 - 0.1 * 1.0 - 0.1 * 1.9, w[1], 12);
    }

    [Fact]
    public void Adam_matches_hand_computed_steps()
    {
        var adam = new Adam<double>(1, learningRate: 0.01);
        double[] w = [0];
        adam.Step(w, [2.0]);
        // First step: m̂ = g, v̂ = g², update lr · g / (|g| + ε).
        Assert.Equal(-0.01 * 2 / (2 + 1e-8), w[0], 12);
        adam.Step(w, [-1.0]);
        double m = 0.9 * 0.1 * 2 + 0.1 * -1, v = 0.999 * 0.001 * 4 + 0.001 * 1;
        double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
        Assert.Equal(-0.01 * 2 / (2 + 1e-8) - 0.01 * mHat / (Math.Sqrt(vHat) + 1e-8), w[0], 10);
    }

    [Fact]
    public void Adagrad_accumulates_squared_gradients()
    {
        var adagrad = new Adagrad<double>(1, learningRate: 0.5);
        double[] w = [1];
        adagrad.Step(w, [3.0]);
        adagrad.Step(w, [4.0]);
        Assert.Equal(1 - 0.5 * 3 / (3 + 1e-10) - 0.5 * 4 / (5 + 1e-10), w[0], 12);
    }

    [Fact]
    public void Clipping_scales_to_the_global_norm_and_leaves_small_gradients_alone()
    {
        double[] g = [3, 4];
        Assert.Equal(5, GradientClipping.ClipGlobalNorm<double>(g, 1.0), 12);
        Assert.Equal(1.0, Math.Sqrt(g[0] * g[0] + g[1] * g[1]), 5);
        double[] small = [0.3, 0.4];
        GradientClipping.ClipGlobalNorm<double>(small, 1.0);
        Assert.Equal([0.3, 0.4], small);
    }

    [Fact]
    public void The_gradient_norms_sum_of_squares_sees_every_element_once_in_double()
    {
        var rng = new Random(3);
        for (int n = 0; n <= 41; n++)
        {
            float[] single = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
            double[] @double = single.Select(x => (double)x * 1.0000001).ToArray();
            double expectedSingle = single.Sum(x => (double)x * x), expectedDouble = @double.Sum(x => x * x);
            Assert.Equal(expectedSingle, GradientClipping.SumOfSquares<float>(single), 1e-14 * (1 + expectedSingle));
            Assert.Equal(expectedDouble, GradientClipping.SumOfSquares<double>(@double), 1e-14 * (1 + expectedDouble));
            if (n > 0)
            {
                single[n - 1] = 1e3f;   // an element's square is counted exactly once, wherever the tail starts
                Assert.Equal(single.Sum(x => (double)x * x), GradientClipping.SumOfSquares<float>(single), 1e-9);
            }
        }
    }

    [Fact]
    public void Sgd_without_momentum_subtracts_the_scaled_gradient()
    {
        var sgd = new Sgd<float>(9, learningRate: 0.1);
        float[] w = [1, -2, 3, 0.5f, 7, -1, 2, 4, -3], g = [0.3f, 1, -2, 5, 0.25f, -0.5f, 1, 3, 9];
        float[] expected = w.Zip(g, (v, d) => v - 0.1f * d).ToArray();
        sgd.Step(w, g);
        Assert.Equal(expected, w);
    }

    [Fact]
    public void Unknown_optimizer_names_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizer<float>.Create("rmsprop", 1, 0.1));
        Assert.Contains("rmsprop", e.Message);
    }
}
