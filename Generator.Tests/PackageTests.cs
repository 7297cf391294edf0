using System.IO.Compression;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The packed <c>TypedGraph</c> package works for a project outside the solution: packed to a temp
/// folder and consumed through a nuget.config whose only sources are that folder and the machine's
/// global packages folder (so it runs offline).
/// </summary>
[Collection(DotNetCliCollection.Name)]
public class PackageTests
{
    [Fact]
    public void PackedPackage_GeneratesAndBuildsInAConsumerOutsideTheSolution()
    {
        var root = Directory.CreateTempSubdirectory("typedgraph-pack-").FullName;
        try
        {
            var feed = Path.Combine(root, "feed");
            var (code, output) = DotNet.Run(Fixtures.RepoRoot, "pack", "packaging/TypedGraph.Package.csproj", "-c", "Release", "-o", feed,
                "-p:Version=0.1.0-test");
            Assert.True(code == 0, output);
            var nupkg = Path.Combine(feed, "TypedGraph.0.1.0-test.nupkg");
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/TypedGraph.Runtime.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/TypedGraph.Generator.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Google.Protobuf.dll", entries);
                Assert.Contains("build/TypedGraph.props", entries);
            }

            var consumer = Path.Combine(root, "consumer");
            Directory.CreateDirectory(Path.Combine(consumer, "models"));
            File.Copy(TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta"),
                Path.Combine(consumer, "models", "my_test_model-1000.meta"));
            var globalPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="machine" value="{globalPackages}" />
                  </packageSources>
                </configuration>
                """);
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
                    <PackageReference Include="TypedGraph" Version="0.1.0-test" />
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
            (code, output) = DotNet.Run(consumer, "build", "-c", "Release");
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
}
