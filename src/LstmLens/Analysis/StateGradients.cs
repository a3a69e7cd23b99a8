// State gradients (Verwimp et al. 2019, §3–4): the Jacobians G_{u,τ} = ∂s_{u+τ}/∂e_u of a recurrent stack's
// state s (c or h of one layer) with respect to the input vector e_u at an earlier position, along the real
// trajectory of a text run as one continuous stream from a zero state, averaged over groups of start
// positions. Computed exactly by forward-mode tangents, with no truncation window: a fast path batched over
// start positions and threads (every live start shares the factored step Jacobian of the current position),
// and a plain one-lane reference path through RecurrentLayer.PropagateTangents that the tests hold it to.
// Not the normalisation, the SVD or any file format (EmbeddingNormalization, SingularSpectrum, the CLI).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LstmLens.Layers;
using LstmLens.Models;
using LstmLens.Numerics;

namespace LstmLens.Analysis;

/// <summary>Which state of a recurrent layer is differentiated.</summary>
public enum StateKind
{
    /// <summary>The cell state c (LSTM cells only).</summary>
    Cell,
    /// <summary>The hidden state h (every cell).</summary>
    Hidden,
}

/// <summary>A named set of start positions u (0-based positions of the stream); duplicates count once.</summary>
public sealed record PositionGroup(string Name, IReadOnlyList<int> Positions);

/// <summary>What to differentiate.</summary>
public sealed record StateGradientOptions
{
    /// <summary>Layer L whose state is differentiated (0 = the bottom layer).</summary>
    public int Layer { get; init; }

    /// <summary>c or h.</summary>
    public StateKind State { get; init; } = StateKind.Cell;

    /// <summary>Largest delay τ.</summary>
    public int MaxDelay { get; init; } = 50;

    /// <summary>Threads (0: <see cref="Compute.Threads"/>). Results are bit-identical for any thread count.</summary>
    public int Threads { get; init; }
}

/// <summary>
/// The analysed stream: the recurrent stack's input at every position (token ids for embedding and one-hot models,
/// real-valued vectors otherwise) and where the state is reset to zero.
/// </summary>
public sealed class StateGradientInput
{
    private StateGradientInput(int count, int[]? tokens, double[]? vectors, bool[]? resetAfter)
    {
        if (count < 1) throw new ArgumentException("the stream is empty");
        if (resetAfter is not null && resetAfter.Length != count)
            throw new ArgumentException($"resetAfter has {resetAfter.Length} entries for {count} positions");
        Count = count;
        Tokens = tokens;
        Vectors = vectors;
        ResetAfter = resetAfter;
    }

    /// <summary>Positions N.</summary>
    public int Count { get; }

    /// <summary>Token ids [N] (embedding and one-hot models).</summary>
    public int[]? Tokens { get; }

    /// <summary>Input vectors [N, in] (vector models).</summary>
    public double[]? Vectors { get; }

    /// <summary>Per position: the state is set to zero after it (null: never; the stream runs from one zero state).</summary>
    public bool[]? ResetAfter { get; }

    /// <summary>A stream of token ids; <paramref name="resetAfter"/> marks positions after which the state restarts from zero.</summary>
    public static StateGradientInput FromTokens(int[] tokens, bool[]? resetAfter = null) =>
        new((tokens ?? throw new ArgumentNullException(nameof(tokens))).Length, tokens, null, resetAfter);

    /// <summary>A stream of input vectors [N, <paramref name="inputSize"/>].</summary>
    public static StateGradientInput FromVectors(double[] vectors, int inputSize, bool[]? resetAfter = null)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        if (vectors.Length % inputSize != 0) throw new ArgumentException($"{vectors.Length} values are not rows of {inputSize}");
        return new(vectors.Length / inputSize, null, vectors, resetAfter);
    }

    /// <summary>[start, end) of every run between resets, in order.</summary>
    internal List<(int Start, int End)> Segments()
    {
        var segments = new List<(int, int)>();
        int start = 0;
        for (int p = 0; p < Count; p++)
        {
            if (p == Count - 1 || (ResetAfter?[p] ?? false))
            {
                segments.Add((start, p + 1));
                start = p + 1;
            }
        }
        return segments;
    }
}

/// <summary>Ḡ_τ for every group and delay, with the number of (u, τ) pairs averaged.</summary>
public sealed class StateGradientResult
{
    private readonly double[][] _sums;   // [group · (D+1) + τ] → Σ_u G_{u,τ}ᵀ [E, H]
    private readonly long[] _counts;     // [group · (D+1) + τ]

    internal StateGradientResult(IReadOnlyList<string> groups, int maxDelay, int stateSize, int inputSize, int positions, double[][] sums, long[] counts)
    {
        Groups = groups;
        MaxDelay = maxDelay;
        StateSize = stateSize;
        InputSize = inputSize;
        Positions = positions;
        _sums = sums;
        _counts = counts;
    }

    /// <summary>Group names, in the order given.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>Largest delay D.</summary>
    public int MaxDelay { get; }

    /// <summary>H, rows of each Ḡ_τ.</summary>
    public int StateSize { get; }

    /// <summary>E, columns of each Ḡ_τ: the input vector's length (embedding width, vocabulary size for one-hot input).</summary>
    public int InputSize { get; }

    /// <summary>Positions N of the stream.</summary>
    public int Positions { get; }

    /// <summary>Pairs (u, τ) averaged into Ḡ_τ of group <paramref name="group"/>: its u whose run still holds u + τ.</summary>
    public long Count(int group, int delay) => _counts[Index(group, delay)];

    /// <summary>Ḡ_τ [H, E] row-major: the plain signed mean of G_{u,τ} (zeros when <see cref="Count"/> is 0).</summary>
    public double[] Mean(int group, int delay)
    {
        int at = Index(group, delay), h = StateSize, e = InputSize;
        var mean = new double[h * e];
        long count = _counts[at];
        if (count == 0) return mean;
        var sum = _sums[at];
        for (int k = 0; k < e; k++)
            for (int j = 0; j < h; j++)
                mean[j * e + k] = sum[k * h + j] / count;
        return mean;
    }

    private int Index(int group, int delay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, Groups.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delay, MaxDelay);
        return group * (MaxDelay + 1) + delay;
    }
}

/// <summary>Computes state gradients of a <see cref="SequenceModel{T}"/>.</summary>
/// <remarks>
/// <code>
/// G_{u,τ} = ∂s_{u+τ} / ∂e_u   (H × E)          Ḡ_τ(group) = (1/n) Σ_{u ∈ group, u+τ in u's run} G_{u,τ}
/// </code>
/// e_u is the stack's input at u (embedding row, one-hot vector or real-valued input); the state before a run
/// (the stream's start, or the position after a reset) is zero and constant, so pairs that cross a reset are
/// left out of the mean rather than counted as zeros. Sums are accumulated in float64 whatever
/// precision the tangents use (the model's element type).
/// </remarks>
public static class StateGradients
{
    /// <summary>Forward pass length per chunk of a run (the layers cache one chunk at a time).</summary>
    private const int ChunkSteps = 512;

    /// <summary>
    /// The fast path: forward in chunks of each run, and at every position the factored step Jacobian of each layer
    /// (<see cref="RecurrentLayer{T}.Linearize"/>) applied to all live start positions at once, split over threads.
    /// Cells without a factored step (LSTM-1997) take <see cref="ComputeReference"/>.
    /// </summary>
    public static StateGradientResult Compute<T>(SequenceModel<T> model, StateGradientInput input, IReadOnlyList<PositionGroup> groups,
        StateGradientOptions options, Action<int>? progress = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new Plan<T>(model, input, groups, options);
        if (plan.Layers.Any(l => l.LinearizedWidth == 0)) return ComputeReference(model, input, groups, options, progress);
        var engine = new FactoredEngine<T>(plan);
        engine.Run(progress);
        return plan.Result();
    }

    /// <summary>
    /// The reference path: each run forward at once, then one start position at a time through
    /// <see cref="RecurrentLayer{T}.PropagateTangents"/> (the textbook tangent step, checked against finite differences).
    /// </summary>
    public static StateGradientResult ComputeReference<T>(SequenceModel<T> model, StateGradientInput input, IReadOnlyList<PositionGroup> groups,
        StateGradientOptions options, Action<int>? progress = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var plan = new Plan<T>(model, input, groups, options);
        int e = plan.InputSize, d = plan.MaxDelay;
        var identity = new T[e * e];                              // [1, E directions, in]: unit tangent on each input feature
        for (int k = 0; k < e; k++) identity[k * e + k] = T.One;
        foreach (var (start, end) in plan.Segments)
        {
            int steps = end - start;
            var x = new T[steps * e];                              // [T, 1, in]
            plan.Encode(start, steps, x);
            model.Stack.Forward(x, steps, 1, [], new T[steps * model.Stack.OutputSize], []);
            for (int u = start; u < end; u++)
            {
                if (!plan.IsStart(u)) continue;
                int span = Math.Min(d + 1, end - u);
                TangentLane[] lanes = [new(0, u - start)];
                ReadOnlySpan<T> fed = identity;
                int fedSteps = 1;
                T[] state = [];
                for (int l = 0; l <= plan.LayerIndex; l++)
                {
                    var layer = plan.Layers[l];
                    var hidden = new T[span * e * layer.HiddenSize];
                    var cells = layer.StateCount == 2 ? new T[hidden.Length] : [];
                    layer.PropagateTangents(lanes, e, span, fed, fedSteps, hidden, cells);
                    state = plan.State == StateKind.Cell ? cells : hidden;
                    fed = hidden;
                    fedSteps = span;
                }
                int block = e * plan.StateSize;
                for (int tau = 0; tau < span; tau++) plan.Accumulate(u, tau, state.AsSpan(tau * block, block));
            }
            progress?.Invoke(end);
        }
        return plan.Result();
    }

    /// <summary>Throws <see cref="ArgumentException"/>, naming the option, when <paramref name="options"/> do not fit the model or a text of <paramref name="positions"/>.</summary>
    public static void CheckOptions<T>(SequenceModel<T> model, StateGradientOptions options, int positions) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var layers = model.Stack.Layers;
        if (options.Layer < 0 || options.Layer >= layers.Count)
            throw new OptionException($"--layer {options.Layer}: the model has {layers.Count} layer{(layers.Count == 1 ? "" : "s")} (0 to {layers.Count - 1})");
        if (options.State == StateKind.Cell && layers[options.Layer].StateCount == 1)
            throw new OptionException($"--state c: a {layers[options.Layer].Cell} layer has no cell state c; use --state h");
        if (options.MaxDelay < 0) throw new OptionException($"--max-delay must be at least 0 (got {options.MaxDelay})");
        if (options.MaxDelay >= positions)
            throw new OptionException($"--max-delay {options.MaxDelay} is not shorter than the text ({positions} positions)");
    }

    /// <summary>
    /// Runs <paramref name="model"/>'s stack over the stream with batch 1, in chunks of at most <see cref="ChunkSteps"/>
    /// positions, from a zero state at the start of every run and with the state carried between a run's chunks; after
    /// each chunk's forward pass (whose per-step values the layers then hold) calls <paramref name="chunk"/> with the
    /// chunk's first position, its length and whether it starts a run.
    /// </summary>
    internal static void ForwardStream<T>(SequenceModel<T> model, StateGradientInput input, IReadOnlyList<(int Start, int End)> segments,
        Action<int, int, bool> chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var stack = model.Stack;
        int e = stack.InputSize, stateLength = stack.StateLength(1);
        var x = new T[ChunkSteps * e];                             // [T, 1, in]
        var output = new T[ChunkSteps * stack.OutputSize];         // [T, 1, H_top]
        T[] state = new T[stateLength], next = new T[stateLength]; // [Σ S·H] carried between chunks of a run
        foreach (var (start, end) in segments)
        {
            Array.Clear(state);
            for (int first = start; first < end; first += ChunkSteps)
            {
                int steps = Math.Min(ChunkSteps, end - first);
                Encode(model, input, first, steps, x.AsSpan(0, steps * e));
                stack.Forward(x.AsSpan(0, steps * e), steps, 1, state, output.AsSpan(0, steps * stack.OutputSize), next);
                (state, next) = (next, state);
                chunk(first, steps, first == start);
            }
        }
    }

    /// <summary>The stack's input at positions [start, start + steps) into <paramref name="x"/> [steps, in].</summary>
    private static void Encode<T>(SequenceModel<T> model, StateGradientInput input, int start, int steps, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int e = model.Stack.InputSize;
        switch (model.Config.Input)
        {
            case InputKind.Embedding:
                model.Embedding!.Forward(input.Tokens.AsSpan(start, steps), x);
                break;
            case InputKind.OneHot:
                OneHot.Forward(input.Tokens.AsSpan(start, steps), e, x);
                break;
            default:
                for (int i = 0; i < steps * e; i++) x[i] = T.CreateChecked(input.Vectors![start * e + i]);
                break;
        }
    }

    /// <summary>
    /// The batched fast path. Live start positions form a queue of lanes (oldest first, at most D + 1), each lane E
    /// tangent rows per layer, kept in a ring of lane slots. At every position each layer's step Jacobian is factored
    /// once; then each thread takes a contiguous share of the lanes and runs it through every layer (one matrix product
    /// per layer and run of slots, single-threaded, then the diagonal terms) and into the float64 sums. Lanes at one
    /// position have distinct delays, so threads never add into the same sum, and every sum receives its terms in
    /// position order: with a kernel set whose products do not depend on how rows are split (reference, simd) the result
    /// is bit-identical for any thread count.
    /// </summary>
    private sealed class FactoredEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Plan<T> _plan;
        private readonly Kernels<T> K;
        private readonly int _e, _capacity, _widest;
        private readonly T[][] _dh, _dc;                 // per layer [capacity·E, H_l]: tangents of h and c, lane slot by slot
        private readonly T[] _products;                  // [capacity·E, W_max] P of the current layer
        private readonly T[][] _recurrent, _input, _carry; // per layer [W, H], [W, in], [carry]: the factored step
        private readonly PreparedOperand<T>[] _preparedRecurrent, _preparedInput;
        private readonly int[] _laneStart;               // per slot: its start position u
        private readonly Action<int> _cellBody;
        private readonly List<(int Slot, int Lanes)> _blocks = []; // this position's runs of lane slots, cell by cell
        private readonly int[] _cellStart;               // [threads + 1] first block of each cell
        private int _head, _count, _cells, _position, _newSlot;

        public FactoredEngine(Plan<T> plan)
        {
            _plan = plan;
            K = plan.Layers[0].KernelSet;
            _e = plan.InputSize;
            _capacity = plan.MaxDelay + 1;
            int layers = plan.Layers.Length, rows = _capacity * _e;
            _dh = new T[layers][];
            _dc = new T[layers][];
            _recurrent = new T[layers][];
            _input = new T[layers][];
            _carry = new T[layers][];
            _preparedRecurrent = new PreparedOperand<T>[layers];
            _preparedInput = new PreparedOperand<T>[layers];
            for (int l = 0; l < layers; l++)
            {
                var layer = plan.Layers[l];
                int h = layer.HiddenSize, w = layer.LinearizedWidth;
                _dh[l] = new T[rows * h];
                _dc[l] = layer.StateCount == 2 ? new T[rows * h] : [];
                _recurrent[l] = new T[w * h];
                _input[l] = new T[w * layer.InputSize];
                _carry[l] = new T[layer.LinearizedCarryWidth];
                _preparedRecurrent[l] = new PreparedOperand<T>();
                _preparedInput[l] = new PreparedOperand<T>();
                _widest = Math.Max(_widest, w);
            }
            _products = new T[rows * _widest];
            _laneStart = new int[_capacity];
            _cellStart = new int[plan.Threads + 1];
            // Each cell computes its lanes' products on its own thread: the cells are the parallelism.
            Action<int> runCell = RunCell;
            _cellBody = cell => Numerics.Compute.OnOneThread(runCell, cell);
        }

        public void Run(Action<int>? progress) =>
            ForwardStream(_plan.Model, _plan.Input, _plan.Segments, (start, steps, newRun) =>
            {
                if (newRun) _count = 0;
                for (int t = 0; t < steps; t++) Step(start + t, t);
                progress?.Invoke(start + steps);
            });

        private void Step(int position, int local)
        {
            while (_count > 0 && position - _laneStart[_head] > _plan.MaxDelay)
            {
                _head = (_head + 1) % _capacity;
                _count--;
            }
            bool newLane = _plan.IsStart(position);
            int newSlot = (_head + _count) % _capacity;
            if (newLane)
            {
                _laneStart[newSlot] = position;
                _count++;
                for (int l = 0; l < _dh.Length; l++)
                {
                    int h = _plan.Layers[l].HiddenSize;
                    _dh[l].AsSpan(newSlot * _e * h, _e * h).Clear();    // the state before the start has zero tangent
                    if (_dc[l].Length > 0) _dc[l].AsSpan(newSlot * _e * h, _e * h).Clear();
                }
            }
            if (_count == 0) return;
            for (int l = 0; l < _dh.Length; l++)
            {
                var layer = _plan.Layers[l];
                int h = layer.HiddenSize, w = layer.LinearizedWidth;
                layer.Linearize(local, 0, _recurrent[l], _input[l], _carry[l]);
                K.Prepare(true, _recurrent[l], h, h, w, _preparedRecurrent[l]);
                if (l > 0) K.Prepare(true, _input[l], layer.InputSize, layer.InputSize, w, _preparedInput[l]);
            }
            // Cell c takes lanes [c·n/cells, (c+1)·n/cells) of the queue, in at most two runs of slots (the ring's end splits one).
            _cells = Math.Min(_plan.Threads, _count);
            _blocks.Clear();
            for (int cell = 0; cell < _cells; cell++)
            {
                int lane = cell * _count / _cells, last = (cell + 1) * _count / _cells;
                _cellStart[cell] = _blocks.Count;
                while (lane < last)
                {
                    int slot = (_head + lane) % _capacity, lanes = Math.Min(last - lane, _capacity - slot);
                    _blocks.Add((slot, lanes));
                    lane += lanes;
                }
            }
            _cellStart[_cells] = _blocks.Count;
            _position = position;
            _newSlot = newLane ? newSlot : -1;
            if (_cells == 1 || !WorkerTeam.Shared.TryRun(_cells, _cells, _cellBody))
                for (int cell = 0; cell < _cells; cell++) _cellBody(cell);
        }

        private void RunCell(int cell)
        {
            for (int b = _cellStart[cell]; b < _cellStart[cell + 1]; b++)
            {
                var (slot, lanes) = _blocks[b];
                RunBlock(slot, lanes);
            }
        }

        // Lanes [slot, slot + lanes) through every layer's step (P, the new lane's input, the diagonal terms), then into the sums.
        private void RunBlock(int slot, int lanes)
        {
            int e = _e, row0 = slot * e, rows = lanes * e;
            for (int l = 0; l < _dh.Length; l++)
            {
                var layer = _plan.Layers[l];
                int h = layer.HiddenSize, w = layer.LinearizedWidth;
                Products(l, row0, rows);
                if (l == 0 && _newSlot >= slot && _newSlot < slot + lanes)
                {
                    // The new lane's input tangent is the identity: row k of its P gains column k of the input factor.
                    var input = _input[0];
                    var p = _products.AsSpan(_newSlot * e * _widest, e * _widest);
                    for (int k = 0; k < e; k++)
                        for (int j = 0; j < w; j++) p[k * _widest + j] += input[j * e + k];
                }
                var dc = _dc[l].Length > 0 ? _dc[l].AsSpan(row0 * h, rows * h) : [];
                layer.CompleteLinearizedStep(_carry[l], _products.AsSpan(row0 * _widest, rows * _widest), rows, _widest, _dh[l].AsSpan(row0 * h, rows * h), dc);
            }
            int top = _dh.Length - 1, size = _plan.StateSize, block = e * size;
            var states = (_plan.State == StateKind.Cell ? _dc[top] : _dh[top]).AsSpan(row0 * size, rows * size);
            for (int i = 0; i < lanes; i++)
            {
                int u = _laneStart[slot + i];
                _plan.Accumulate(u, _position - u, states.Slice(i * block, block));
            }
        }

        private void Products(int layerIndex, int row0, int rows)
        {
            var layer = _plan.Layers[layerIndex];
            int h = layer.HiddenSize, w = layer.LinearizedWidth;
            var p = _products.AsSpan(row0 * _widest, rows * _widest);
            K.Gemm(MatrixView.Of((ReadOnlySpan<T>)_dh[layerIndex].AsSpan(row0 * h, rows * h), rows, h), _preparedRecurrent[layerIndex], T.Zero, MatrixView.Of(p, rows, _preparedRecurrent[layerIndex].N, _widest));
            if (layerIndex == 0) return;
            int below = layer.InputSize;
            K.Gemm(MatrixView.Of((ReadOnlySpan<T>)_dh[layerIndex - 1].AsSpan(row0 * below, rows * below), rows, below), _preparedInput[layerIndex], T.One, MatrixView.Of(p, rows, _preparedInput[layerIndex].N, _widest));
        }
    }

    /// <summary>The validated request: layers, groups by position, runs, sums and counts.</summary>
    private sealed class Plan<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly SequenceModel<T> _model;
        private readonly StateGradientInput _input;
        private readonly int[] _groupStart;   // [N + 1] CSR offsets into _groupIndex
        private readonly int[] _groupIndex;   // groups of each position
        private readonly double[][] _sums;
        private readonly long[] _counts;
        private readonly string[] _names;

        public Plan(SequenceModel<T> model, StateGradientInput input, IReadOnlyList<PositionGroup> groups, StateGradientOptions options)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(groups);
            ArgumentNullException.ThrowIfNull(options);
            _model = model;
            _input = input;
            var layers = model.Stack.Layers;
            CheckOptions(model, options, input.Count);
            if (groups.Count == 0) throw new ArgumentException("no groups to average over");
            switch (model.Config.Input)
            {
                case InputKind.Vectors when input.Vectors is null || input.Vectors.Length != input.Count * model.Stack.InputSize:
                    throw new ArgumentException($"the model reads vectors of {model.Stack.InputSize} features; the input does not match");
                case InputKind.Embedding or InputKind.OneHot when input.Tokens is null:
                    throw new ArgumentException("the model reads token ids; the input has none");
            }
            if (input.Tokens is int[] tokens)
            {
                int vocabulary = model.Config.InputSize;
                int bad = Array.FindIndex(tokens, id => id < 0 || id >= vocabulary);
                if (bad >= 0) throw new ArgumentException($"token id {tokens[bad]} at position {bad} is outside the model's vocabulary of {vocabulary}");
            }

            Layers = [.. layers.Take(options.Layer + 1)];
            LayerIndex = options.Layer;
            State = options.State;
            MaxDelay = options.MaxDelay;
            Threads = options.Threads > 0 ? options.Threads : Numerics.Compute.Threads;
            InputSize = model.Stack.InputSize;
            StateSize = layers[options.Layer].HiddenSize;
            Segments = input.Segments();

            // Membership as compressed rows: position u → the groups holding it (each group once).
            _names = [.. groups.Select(g => g.Name)];
            var members = new List<int>[input.Count];
            for (int g = 0; g < groups.Count; g++)
            {
                foreach (int u in groups[g].Positions)
                {
                    if (u < 0 || u >= input.Count)
                        throw new InvalidDataException($"group '{groups[g].Name}': position {u} is outside the text (0 to {input.Count - 1})");
                    var list = members[u] ??= [];
                    if (list.Count == 0 || list[^1] != g) list.Add(g);
                }
            }
            _groupStart = new int[input.Count + 1];
            for (int u = 0; u < input.Count; u++) _groupStart[u + 1] = _groupStart[u] + (members[u]?.Count ?? 0);
            _groupIndex = new int[_groupStart[^1]];
            for (int u = 0; u < input.Count; u++) members[u]?.CopyTo(_groupIndex, _groupStart[u]);

            _sums = new double[groups.Count * (MaxDelay + 1)][];
            _counts = new long[_sums.Length];
            foreach (var (start, end) in Segments)
            {
                for (int u = start; u < end; u++)
                {
                    int delays = Math.Min(MaxDelay + 1, end - u);
                    foreach (int g in GroupsOf(u))
                        for (int tau = 0; tau < delays; tau++) _counts[g * (MaxDelay + 1) + tau]++;
                }
            }
        }

        public RecurrentLayer<T>[] Layers { get; }
        public int LayerIndex { get; }
        public StateKind State { get; }
        public int MaxDelay { get; }
        public int Threads { get; }
        public int InputSize { get; }
        public int StateSize { get; }
        public List<(int Start, int End)> Segments { get; }
        public SequenceModel<T> Model => _model;
        public StateGradientInput Input => _input;

        public ReadOnlySpan<int> GroupsOf(int u) => _groupIndex.AsSpan(_groupStart[u], _groupStart[u + 1] - _groupStart[u]);

        public bool IsStart(int u) => _groupStart[u + 1] > _groupStart[u];

        public void Encode(int start, int steps, Span<T> x) => StateGradients.Encode(_model, _input, start, steps, x);

        /// <summary>Adds the state tangent of start <paramref name="u"/> at delay τ, [E, H], to every group of u.</summary>
        public void Accumulate(int u, int tau, ReadOnlySpan<T> tangent)
        {
            var groups = GroupsOf(u);
            if (groups.IsEmpty) return;
            foreach (int g in groups)
            {
                var sum = _sums[g * (MaxDelay + 1) + tau] ??= new double[InputSize * StateSize];
                if (typeof(T) == typeof(double)) TensorPrimitives.Add(sum, MemoryMarshal.Cast<T, double>(tangent), sum);
                else AddWidened(MemoryMarshal.Cast<T, float>(tangent), sum);
            }
        }

        /// <summary><c>sum += x</c> with x widened to float64 (exactly), in one pass.</summary>
        private static void AddWidened(ReadOnlySpan<float> x, Span<double> sum)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ref float source = ref MemoryMarshal.GetReference(x);
                ref double target = ref MemoryMarshal.GetReference(sum);
                for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
                {
                    var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref source, (nuint)i));
                    (Vector256.LoadUnsafe(ref target, (nuint)i) + low).StoreUnsafe(ref target, (nuint)i);
                    (Vector256.LoadUnsafe(ref target, (nuint)(i + Vector256<double>.Count)) + high).StoreUnsafe(ref target, (nuint)(i + Vector256<double>.Count));
                }
            }
            for (; i < x.Length; i++) sum[i] += x[i];
        }

        public StateGradientResult Result()
        {
            for (int i = 0; i < _sums.Length; i++) _sums[i] ??= new double[InputSize * StateSize];
            return new StateGradientResult(_names, MaxDelay, StateSize, InputSize, _input.Count, _sums, _counts);
        }
    }
}
