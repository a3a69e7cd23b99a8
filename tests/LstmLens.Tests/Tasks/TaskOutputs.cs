// Model outputs made up for scoring tests: the perfect predictor (the noise-free targets as outputs)
// and a predictor that knows nothing (uniform, or off by a fixed amount). Not a model.
using LstmLens.Tasks;

namespace LstmLens.Tests.Tasks;

internal static class TaskOutputs
{
    /// <summary>One-hot / multi-hot targets, noise-free regression targets.</summary>
    public static double[] Perfect(SequenceTask task, TaskBatch<double> batch)
    {
        var outputs = new double[batch.OutputLength];
        int c = task.OutputSize;
        switch (task.OutputKind)
        {
            case OutputKind.PerStepSoftmax:
                for (int i = 0; i < batch.StepClasses.Length; i++)
                    if (batch.StepClasses[i] >= 0) outputs[i * c + batch.StepClasses[i]] = 1;
                break;
            case OutputKind.LastStepSoftmax:
                for (int b = 0; b < batch.BatchSize; b++) outputs[b * c + batch.Classes[b]] = 1;
                break;
            case OutputKind.LastStepRegression:
                for (int b = 0; b < batch.BatchSize; b++)
                    outputs[b] = task is TwoSequenceTask twoSequence ? twoSequence.ClassTarget(batch.Classes[b]) : batch.Values[b];
                break;
            case OutputKind.PerStepSigmoid:
                batch.StepLabels.CopyTo(outputs);
                break;
        }
        return outputs;
    }

    /// <summary>Uniform probabilities (classification, sigmoid 0.5) or the targets shifted by 0.5 (regression).</summary>
    public static double[] Clueless(SequenceTask task, TaskBatch<double> batch)
    {
        if (task.OutputKind != OutputKind.LastStepRegression)
            return [.. Enumerable.Repeat(task.OutputKind == OutputKind.PerStepSigmoid ? 0.5 : 1.0 / task.OutputSize, batch.OutputLength)];
        return [.. Perfect(task, batch).Select(y => y + 0.5)];
    }
}
