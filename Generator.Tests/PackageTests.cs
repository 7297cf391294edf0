using System.IO.Compression;
using System.Xml.Linq;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The packed <c>TypedGraph</c> package works for a project outside the solution: packed to a temp
/// folder and consumed through a nuget.config whose only sources are that folder and the machine's
/// global packages folder (so it runs offline); the net8.0 project also gets the repository's feed for the
/// net8 targeting packs.
/// </summary>
[Collection(DotNetCliCollection.Name)]
public class PackageTests
{
    private static readonly Lazy<string> s_root = new(() => Directory.CreateTempSubdirectory("typedgraph-pack-").FullName);
    private static readonly Lazy<(int Code, string Output)> s_pack = new(() => DotNet.Run(Fixtures.RepoRoot, "pack",
        "packaging/TypedGraph.Package.csproj", "-c", "Release", "-o", Path.Combine(s_root.Value, "feed"), "-p:TypedGraphVersion=0.1.0-test"));

    /// <summary>The library package, packed once for the tests of this class (version 0.1.0-test).</summary>
    private static string PackedFeed()
    {
        var (code, output) = s_pack.Value;
        Assert.True(code == 0, output);
        return Path.Combine(s_root.Value, "feed");
    }

    private static string GlobalPackages => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>
    /// A nuget.config whose sources are <paramref name="feed"/> and the machine's package cache (offline),
    /// plus, with <paramref name="withRepoSources"/>, the sources of the repository's own nuget.config — a
    /// net8.0 project needs the net8 targeting packs (Microsoft.NETCore.App.Ref 8.0.x …), which the .NET 10
    /// SDK does not carry and a fresh machine's cache does not hold; a net8 user restores them from their feed.
    /// </summary>
    private static void WriteNuGetConfig(string folder, string feed, bool withRepoSources = false)
    {
        var sources = new List<string>
        {
            $"""<add key="local" value="{feed}" />""",
            $"""<add key="machine" value="{GlobalPackages}" />""",
        };
        if (withRepoSources)
        {
            var repoConfig = XDocument.Load(Path.Combine(Fixtures.RepoRoot, "nuget.config"));
            var adds = repoConfig.Descendants("packageSources").Elements("add").ToList();
            Assert.NotEmpty(adds);
            foreach (var add in adds)
                sources.Add($"""<add key="repo-{add.Attribute("key")!.Value}" value="{add.Attribute("value")!.Value}" />""");
        }
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                {string.Join("\n    ", sources)}
              </packageSources>
            </configuration>
            """);
    }

    [Fact]
    public void PackedPackage_GeneratesAndBuildsInAConsumerOutsideTheSolution()
    {
        var root = Directory.CreateTempSubdirectory("typedgraph-consumer-").FullName;
        try
        {
            var feed = PackedFeed();
            var nupkg = Path.Combine(feed, "TypedGraph.Runtime.0.1.0-test.nupkg");
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/TypedGraph.Runtime.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/TypedGraph.Generator.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Google.Protobuf.dll", entries);
                Assert.Contains("build/TypedGraph.Runtime.props", entries);
                Assert.Contains("buildTransitive/TypedGraph.Runtime.targets", entries);
                Assert.Contains("README.md", entries);
                var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).ReadToEnd();
                Assert.Contains("<readme>README.md</readme>", nuspec);
                Assert.Contains("<description>", nuspec);
            }

            var consumer = Path.Combine(root, "consumer");
            Directory.CreateDirectory(Path.Combine(consumer, "models"));
            File.Copy(TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta"),
                Path.Combine(consumer, "models", "my_test_model-1000.meta"));
            WriteNuGetConfig(consumer, feed);
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <!-- TG0002 (ops without kernels) is a warning users decide on; everything else must be clean. -->
                    <WarningsNotAsErrors>TG0002</WarningsNotAsErrors>
                    <RestorePackagesPath>$(MSBuildThisFileDirectory)packages</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="TypedGraph.Runtime" Version="0.1.0-test" />
                    <AdditionalFiles Include="models/my_test_model-1000.meta" ClassName="TutorialModel" Namespace="Demo" Visibility="public" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
                using Demo;
                // Compiles only if the generator ran (typed members, typed Run signature); runs on the packed runtime.
                using var m = TutorialModel.Create();
                m.Initialize();
                System.Console.WriteLine(TutorialModel.SourceFile + " " + m.OpToRestore.Run(w1: 13f, w2: 17f));
                """);
            var (code, output) = DotNet.Run(consumer, "build", "-c", "Release");
            Assert.True(code == 0, output);
            // TG0002 may list ops the runtime lacks today; nothing else may warn.
            Assert.DoesNotContain("error", output.Replace("0 Error(s)", ""), StringComparison.OrdinalIgnoreCase);
            (code, output) = DotNet.Run(consumer, Path.Combine("bin", "Release", "net10.0", "Consumer.dll"));
            Assert.True(code == 0, output);
            Assert.Equal("my_test_model-1000.meta 60", output.Trim());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Net8Project_StopsAtBuildWithOneClearFrameworkError()
    {
        var consumer = Directory.CreateTempSubdirectory("typedgraph-net8-").FullName;
        try
        {
            WriteNuGetConfig(consumer, PackedFeed(), withRepoSources: true);
            File.WriteAllText(Path.Combine(consumer, "Old.csproj"), """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net8.0</TargetFramework>
                    <RestorePackagesPath>$(MSBuildThisFileDirectory)packages</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="TypedGraph.Runtime" Version="0.1.0-test" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), "System.Console.WriteLine(typeof(TypedGraph.Tensor));\n");
            var (code, output) = DotNet.Run(consumer, "build", "-c", "Release");
            Assert.NotEqual(0, code);
            // dotnet build repeats each error in its summary: count distinct error lines.
            var errors = output.Split('\n').Where(l => l.Contains(": error ", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
            var error = Assert.Single(errors);
            Assert.Contains("error TG1001", error);
            Assert.Contains("supports net10.0", error);
            Assert.Contains("'net8.0'", error);
            Assert.DoesNotContain("error CS", output);
        }
        finally
        {
            Directory.Delete(consumer, recursive: true);
        }
    }

    /// <summary>The version both packages get, from packaging/Version.props.</summary>
    private static string SharedVersion()
    {
        var props = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "packaging", "Version.props"));
        return System.Text.RegularExpressions.Regex.Match(props, "<TypedGraphVersion>([^<]+)</TypedGraphVersion>").Groups[1].Value;
    }

    [Fact]
    public void ToolPackage_InstallsFromALocalFolder_AndReportsTheLibrarysVersion()
    {
        var version = SharedVersion();
        Assert.Matches(@"^\d+\.\d+\.\d+", version);
        // The library package is versioned from the same property (evaluated, not packed, to keep this test short).
        var (code, output) = DotNet.Run(Fixtures.RepoRoot, "msbuild", "packaging/TypedGraph.Package.csproj", "-getProperty:PackageVersion", "-nologo");
        Assert.True(code == 0, output);
        Assert.Equal(version, output.Trim());
        // NuGet ids ignore case: the tool is `typedgraph`, so the library must have another id.
        (code, output) = DotNet.Run(Fixtures.RepoRoot, "msbuild", "packaging/TypedGraph.Package.csproj", "-getProperty:PackageId", "-nologo");
        Assert.True(code == 0, output);
        Assert.Equal("TypedGraph.Runtime", output.Trim());

        var root = Directory.CreateTempSubdirectory("typedgraph-tool-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            (code, output) = DotNet.Run(Fixtures.RepoRoot, "pack", "Cli/Cli.csproj", "-c", "Release", "-o", feed);
            Assert.True(code == 0, output);
            var nupkg = Path.Combine(feed, $"typedgraph.{version}.nupkg");
            Assert.True(File.Exists(nupkg), string.Join(", ", Directory.GetFiles(feed)));
            using (var zip = ZipFile.OpenRead(nupkg))
                Assert.Contains(zip.Entries, e => e.FullName == "README.md");

            // Installed the way a user does, into a tool path (not the user's global tools), from the local folder only.
            var work = Path.Combine(root, "work");
            Directory.CreateDirectory(work);
            WriteNuGetConfig(work, feed);
            var tools = Path.Combine(root, "tools");
            (code, output) = DotNet.Run(work, "tool", "install", "typedgraph", "--tool-path", tools, "--version", version);
            Assert.True(code == 0, output);
            var exe = Path.Combine(tools, OperatingSystem.IsWindows() ? "typedgraph.exe" : "typedgraph");
            Assert.True(File.Exists(exe), output);
            (code, output) = DotNet.RunProgram(exe, work, "--version");
            Assert.True(code == 0, output);
            // System.CommandLine prints the informational version: the package version, maybe "+<commit>".
            Assert.Matches("^" + System.Text.RegularExpressions.Regex.Escape(version) + @"(\+[0-9a-f]+)?$", output.Trim());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
