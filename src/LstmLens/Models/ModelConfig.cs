// The description of a sequence model: input encoding, recurrent stack, head, dropout and
// initialisation, as one immutable record that a run's config.json can hold. Not the training
// configuration (optimiser, schedule, detach probabilities live with the training loop).
using LstmLens.Layers;

namespace LstmLens.Models;

/// <summary>How input steps reach the recurrent stack.</summary>
public enum InputKind
{
    /// <summary>Token ids through a trainable table <c>encoder.weight</c> [V, E].</summary>
    Embedding,
    /// <summary>Token ids as one-hot vectors of length V (no parameters).</summary>
    OneHot,
    /// <summary>Real-valued vectors [T, B, in] given by the caller.</summary>
    Vectors,
}

/// <summary>Which outputs are scored and by which loss.</summary>
public enum HeadKind
{
    /// <summary>Softmax cross-entropy at every step (language modelling, copying).</summary>
    PerStepSoftmax,
    /// <summary>Softmax cross-entropy at the last step (classification: MNIST, temporal order).</summary>
    LastStepSoftmax,
    /// <summary>Squared error at the last step (adding, multiplication, two-sequence).</summary>
    LastStepSquaredError,
    /// <summary>Multi-label sigmoid cross-entropy at every step (Reber: all legal next symbols).</summary>
    PerStepSigmoid,
}

/// <summary>Architecture of a <see cref="SequenceModel{T}"/>.</summary>
public sealed record ModelConfig
{
    /// <summary>Recurrent cell of every layer.</summary>
    public CellType Cell { get; init; } = CellType.Lstm;

    /// <summary>Input encoding.</summary>
    public InputKind Input { get; init; } = InputKind.Embedding;

    /// <summary>Vocabulary size V for token inputs (embedding, one-hot); features per step for vector inputs.</summary>
    public required int InputSize { get; init; }

    /// <summary>E, the embedding width (embedding input only).</summary>
    public int EmbeddingSize { get; init; }

    /// <summary>H, units per recurrent layer.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>Number of stacked recurrent layers.</summary>
    public int NumLayers { get; init; } = 1;

    /// <summary>Head and loss.</summary>
    public HeadKind Head { get; init; } = HeadKind.PerStepSoftmax;

    /// <summary>Decoder outputs: classes for softmax heads, regression targets or labels otherwise.</summary>
    public required int OutputSize { get; init; }

    /// <summary>Options of LSTM-1997 layers (block size, squashing, truncated gradient, staggered biases); null for other cells or the defaults.</summary>
    public Lstm1997Options? Lstm1997 { get; init; }

    /// <summary>Dropout probability on every recurrent layer's output (between layers and before the decoder).</summary>
    public double Dropout { get; init; }

    /// <summary>Dropout probability on the stack's input (the embeddings, for embedding input).</summary>
    public double InputDropout { get; init; }

    /// <summary>When set, every parameter is drawn uniformly from [-a, a); when null, PyTorch's defaults are used.</summary>
    public double? InitRange { get; init; }

    /// <summary>Added to the forget-gate part of each LSTM layer's b_ih after initialisation (LSTM cells only).</summary>
    public double ForgetBias { get; init; }

    /// <summary>Features per step entering the first recurrent layer.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int RecurrentInputSize => Input == InputKind.Embedding ? EmbeddingSize : InputSize;

    /// <summary>True for heads scored at every step, false for heads scored at the last step only.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool ScoresEveryStep => Head is HeadKind.PerStepSoftmax or HeadKind.PerStepSigmoid;

    /// <summary>True for heads whose targets are class ids, false for heads with real-valued targets.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasClassTargets => Head is HeadKind.PerStepSoftmax or HeadKind.LastStepSoftmax;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent setting.</summary>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentException($"InputSize must be at least 1 (got {InputSize})");
        if (Input == InputKind.Embedding && EmbeddingSize < 1)
            throw new ArgumentException($"EmbeddingSize must be at least 1 for embedding input (got {EmbeddingSize})");
        if (HiddenSize < 1) throw new ArgumentException($"HiddenSize must be at least 1 (got {HiddenSize})");
        if (NumLayers < 1) throw new ArgumentException($"NumLayers must be at least 1 (got {NumLayers})");
        if (OutputSize < 1) throw new ArgumentException($"OutputSize must be at least 1 (got {OutputSize})");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"Dropout must be in [0, 1) (got {Dropout})");
        if (InputDropout is < 0 or >= 1) throw new ArgumentException($"InputDropout must be in [0, 1) (got {InputDropout})");
        if (InitRange is <= 0 || double.IsNaN(InitRange ?? 1)) throw new ArgumentException($"InitRange must be positive (got {InitRange})");
        if (ForgetBias != 0 && Cell != CellType.Lstm)
            throw new ArgumentException($"ForgetBias needs the LSTM cell with forget gate; {Cell} has none");
    }
}
