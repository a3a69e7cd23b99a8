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
    public void Unknown_optimizer_names_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Optimizer<float>.Create("rmsprop", 1, 0.1));
        Assert.Contains("rmsprop", e.Message);
    }
}
