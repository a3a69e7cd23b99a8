// One optimisation update of a SequenceModel, the same for language models and sequence tasks:
// detach settings for the epoch, zero gradients, forward, backward, a finite check, clipping, the
// optimiser step. A non-finite loss or gradient stops training before the parameters are touched.
using System.Numerics;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Training;

/// <summary>Thrown when a loss or gradient is NaN or infinite; parameters are left as before the update.</summary>
public sealed class NonFiniteException(string message) : Exception(message);

/// <summary>Applies updates to a model with one optimiser.</summary>
public sealed class Updater<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly SequenceModel<T> _model;
    private readonly TrainingOptions _options;

    /// <summary>Creates the optimiser for <paramref name="model"/> and sets detach generators from <paramref name="rng"/>.</summary>
    public Updater(SequenceModel<T> model, TrainingOptions options, Rng rng)
    {
        options.Validate();
        _model = model;
        _options = options;
        Optimizer = Optimizer<T>.Create(options.Optimizer, model.Store.Length, options.LearningRate, options.Momentum);
        foreach (var layer in model.Stack.Layers) layer.DetachRng = rng.Split();
        SetEpoch(0);
    }

    /// <summary>The optimiser (its state is saved in checkpoints).</summary>
    public Optimizer<T> Optimizer { get; }

    /// <summary>Updates applied.</summary>
    public long Updates { get; internal set; }

    /// <summary>Gradient norm before clipping in the last update.</summary>
    public double LastGradientNorm { get; private set; }

    /// <summary>Sets the epoch's learning rate (step-decay and constant schedules) and detach probabilities (annealing).</summary>
    public void SetEpoch(int epoch)
    {
        if (_options.Schedule != ScheduleKind.Plateau) Optimizer.LearningRate = _options.ScheduledRate(epoch);
        bool detach = _options.DetachActive(epoch);
        foreach (var layer in _model.Stack.Layers)
        {
            layer.HDetachProbability = detach ? _options.HDetach : 0;
            layer.CDetachProbability = detach ? _options.CDetach : 0;
        }
    }

    /// <summary>Plateau schedule: decays the rate when <paramref name="validationLoss"/> is not below <paramref name="bestSoFar"/>.</summary>
    public void ObserveValidation(double validationLoss, double bestSoFar)
    {
        if (_options.Schedule == ScheduleKind.Plateau && !(validationLoss < bestSoFar)) Optimizer.LearningRate *= _options.DecayFactor;
    }

    /// <summary>
    /// Trains on one batch: returns the batch's mean loss. <paramref name="initialState"/> and <paramref name="finalState"/>
    /// as for <see cref="SequenceModel{T}.Forward"/>.
    /// </summary>
    public double Update(in SequenceBatch<T> batch, ReadOnlySpan<T> initialState, Span<T> finalState)
    {
        _model.Training = true;
        _model.Store.ZeroGradients();
        double loss = _model.Forward(batch, initialState, finalState);
        if (!double.IsFinite(loss)) throw new NonFiniteException($"loss is {loss} at update {Updates + 1}");
        _model.Backward();
        var gradients = _model.Store.Gradients;
        long start = StepProfile.Start();
        LastGradientNorm = _options.ClipNorm is double clip ? GradientClipping.ClipGlobalNorm<T>(gradients, clip) : Math.Sqrt(GradientClipping.SumOfSquares<T>(gradients));
        StepProfile.Stop(StepPhase.Clipping, start);
        if (!double.IsFinite(LastGradientNorm)) throw new NonFiniteException($"gradient norm is {LastGradientNorm} at update {Updates + 1}");
        start = StepProfile.Start();
        Optimizer.Step(_model.Store.Values, gradients);
        StepProfile.Stop(StepPhase.Update, start);
        Updates++;
        return loss;
    }
}
