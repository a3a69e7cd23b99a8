// Dependency trees of CoNLL-U sentences as the interdependence analysis reads them (Saphra & Lopez 2020, §4): the
// path length between two words, how they are related, and the open/closed class of a UPOS tag. Heads are
// CoNLL-U's (1-based word indices, 0 = root) after multiword-token and empty-node lines are skipped.
namespace LstmLens.Analysis;

/// <summary>How two words of a dependency tree are related, seen from the left word.</summary>
public enum TreeRelation
{
    /// <summary>The left word is the head of the right.</summary>
    LeftHead,
    /// <summary>The right word is the head of the left.</summary>
    RightHead,
    /// <summary>Both have the same head.</summary>
    Siblings,
    /// <summary>The left word dominates the right, not directly.</summary>
    LeftAncestor,
    /// <summary>The right word dominates the left, not directly.</summary>
    RightAncestor,
    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>One sentence's dependency tree.</summary>
public sealed class DependencyTree
{
    private readonly int[] _parent; // 0-based parent word, −1 for the root's children (the root is virtual)
    private readonly int[] _depth;

    /// <summary>Builds the tree of <paramref name="heads"/> (CoNLL-U HEAD per word: 1-based, 0 = root).</summary>
    /// <exception cref="ArgumentException">A head outside the sentence or a cycle (the message says which word).</exception>
    public DependencyTree(IReadOnlyList<int> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        int n = heads.Count;
        _parent = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (heads[i] < 0 || heads[i] > n) throw new ArgumentException($"word {i + 1} has HEAD {heads[i]}, outside 0–{n}");
            if (heads[i] == i + 1) throw new ArgumentException($"word {i + 1} is its own head");
            _parent[i] = heads[i] - 1;
        }
        _depth = new int[n];
        for (int i = 0; i < n; i++)
        {
            int depth = 0;
            for (int w = i; _parent[w] >= 0; w = _parent[w])
                if (++depth > n) throw new ArgumentException($"the heads of word {i + 1} form a cycle");
            _depth[i] = depth;
        }
    }

    /// <summary>Words.</summary>
    public int Count => _parent.Length;

    /// <summary>Edges on the path between words <paramref name="a"/> and <paramref name="b"/> (0-based), through the virtual root if needed.</summary>
    public int Distance(int a, int b)
    {
        var (up, down) = Climb(a, b);
        return up + down;
    }

    /// <summary>How <paramref name="left"/> and <paramref name="right"/> (0-based) are related.</summary>
    public TreeRelation Relation(int left, int right)
    {
        if (_parent[right] == left) return TreeRelation.LeftHead;
        if (_parent[left] == right) return TreeRelation.RightHead;
        if (_parent[left] == _parent[right]) return TreeRelation.Siblings;
        var (up, down) = Climb(left, right);
        if (up == 0) return TreeRelation.LeftAncestor;
        return down == 0 ? TreeRelation.RightAncestor : TreeRelation.Other;
    }

    /// <summary>Steps from a and from b up to their lowest common ancestor (−1 = the virtual root).</summary>
    private (int FromA, int FromB) Climb(int a, int b)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(a);
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(a, Count);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(b, Count);
        int fromA = 0, fromB = 0, da = _depth[a], db = _depth[b];
        for (; da > db; da--, fromA++) a = _parent[a];
        for (; db > da; db--, fromB++) b = _parent[b];
        for (; a != b; fromA++, fromB++) // at equal depths both reach the virtual root (−1) together at the latest
        {
            a = _parent[a];
            b = _parent[b];
        }
        return (fromA, fromB);
    }
}

/// <summary>Open and closed word classes by Universal POS tag (SPEC §4).</summary>
public static class WordClasses
{
    private static readonly HashSet<string> Open = ["ADJ", "ADV", "INTJ", "NOUN", "PROPN", "VERB"];
    private static readonly HashSet<string> Closed = ["ADP", "AUX", "CCONJ", "DET", "NUM", "PART", "PRON", "SCONJ"];

    /// <summary>"open", "closed", or null for PUNCT, SYM, X and anything else (left out of the analysis).</summary>
    public static string? Of(string upos) => Open.Contains(upos) ? "open" : Closed.Contains(upos) ? "closed" : null;
}
