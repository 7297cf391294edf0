extern alias gen;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TypedGraph.Tests.Support;
using DiagnosticDescriptors = gen::TypedGraph.Generator.DiagnosticDescriptors;

namespace TypedGraph.Generator.Tests;

/// <summary>Every generator diagnostic's help link lands on a section of a docs page that exists in this repository.</summary>
public class DiagnosticHelpLinkTests
{
    private static List<DiagnosticDescriptor> Descriptors()
        => typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!).ToList();

    /// <summary>The repository file the help base points into (the part after <c>/blob/main/</c>).</summary>
    private static string DocsPage()
    {
        var m = Regex.Match(DiagnosticDescriptors.HelpBase, @"^https://github\.com/[^/]+/[^/]+/blob/main/(?<path>[^#]+)#$");
        Assert.True(m.Success, DiagnosticDescriptors.HelpBase);
        return m.Groups["path"].Value;
    }

    /// <summary>GitHub's heading anchor: lower case, punctuation other than '-' and '_' dropped, spaces to '-'.</summary>
    private static string Anchor(string heading)
        => Regex.Replace(heading.Trim().ToLowerInvariant(), @"[^\p{L}\p{N}\s_-]", "").Replace(' ', '-');

    /// <summary>Section anchors of the docs page with the text under each heading.</summary>
    private static Dictionary<string, string> Sections()
    {
        var text = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, DocsPage()));
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Match h in Regex.Matches(text, @"^#{2,3} (?<title>.+)$(?<body>(?:\n(?!#{1,3} ).*)*)", RegexOptions.Multiline))
            sections[Anchor(h.Groups["title"].Value)] = h.Groups["body"].Value.Trim();
        return sections;
    }

    [Fact]
    public void EveryDescriptor_LinksToItsOwnNonEmptySectionOfTheDiagnosticsPage()
    {
        var descriptors = Descriptors();
        Assert.True(descriptors.Count >= 8, $"found {descriptors.Count} descriptors"); // TG0001…TG0008 today
        var sections = Sections();
        foreach (var d in descriptors)
        {
            Assert.StartsWith(DiagnosticDescriptors.HelpBase, d.HelpLinkUri);
            var anchor = d.HelpLinkUri[DiagnosticDescriptors.HelpBase.Length..];
            Assert.Equal(d.Id.ToLowerInvariant(), anchor);
            Assert.True(sections.TryGetValue(anchor, out var body), $"{d.Id}: no '## {d.Id}' section in {DocsPage()}");
            // The section names the diagnostic's title and its severity, as the compiler reports them.
            Assert.Contains(d.Title.ToString(), body);
            Assert.Contains(d.DefaultSeverity switch { DiagnosticSeverity.Error => "(error)", DiagnosticSeverity.Warning => "(warning)", _ => "(info)" }, body);
        }
    }

    [Fact]
    public void EveryDiagnosticSectionOfThePage_BelongsToADescriptor()
    {
        var ids = Descriptors().Select(d => d.Id.ToLowerInvariant()).ToHashSet();
        var documented = Sections().Keys.Where(k => Regex.IsMatch(k, "^tg[0-9]{4}$")).ToList();
        Assert.NotEmpty(documented);
        Assert.All(documented, a => Assert.Contains(a, ids));
        Assert.Equal(ids.Count, documented.Distinct().Count());
    }

    [Theory]
    [InlineData("TG0001", "tg0001")]
    [InlineData("TG0003 — Identifier collision", "tg0003--identifier-collision")]
    [InlineData("What `Extend()` returns", "what-extend-returns")]
    public void Anchors_FollowGitHubsHeadingRule(string heading, string anchor) => Assert.Equal(anchor, Anchor(heading));
}
