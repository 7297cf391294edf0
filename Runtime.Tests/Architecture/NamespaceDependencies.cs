using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace TypedGraph.Tests.Architecture;

/// <summary>
/// Reads a compiled assembly's metadata and IL (no reflection loading, no source) and records, for every type
/// defined in it, which of the assembly's own namespaces that type uses: base type, interfaces, field / method /
/// property signatures, generic constraints, custom attributes, locals, and every type, method or field token in
/// its method bodies. Lambdas and iterators are compiled to nested types, so their uses count for the outer type.
/// </summary>
public sealed class NamespaceDependencies
{
    /// <summary>Edge (from namespace, to namespace) → the type pairs "FromType -> ToType" that cause it.</summary>
    public IReadOnlyDictionary<(string From, string To), SortedSet<string>> Edges { get; }

    /// <summary>Every namespace that defines at least one type.</summary>
    public IReadOnlySet<string> Namespaces { get; }

    private NamespaceDependencies(Dictionary<(string, string), SortedSet<string>> edges, HashSet<string> namespaces)
    {
        Edges = edges;
        Namespaces = namespaces;
    }

    public static NamespaceDependencies Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var scanner = new Scanner(pe, md);
        return scanner.Run();
    }

    /// <summary>Strongly connected components with more than one namespace (each one a dependency cycle), after
    /// mapping each namespace through <paramref name="group"/>.</summary>
    public List<List<string>> Cycles(Func<string, string>? group = null) => new NamespaceGraph(Edges.Keys).Cycles(group);

    private sealed class Scanner(PEReader pe, MetadataReader md)
    {
        private readonly Dictionary<(string, string), SortedSet<string>> _edges = [];
        private readonly HashSet<string> _namespaces = [];
        private readonly Collector _collector = new(md);
        private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value, o => o.OperandType);

        public NamespaceDependencies Run()
        {
            foreach (var handle in md.TypeDefinitions)
            {
                string ns = NamespaceOf(md, handle);
                if (ns.Length == 0) continue; // <Module>, <PrivateImplementationDetails>
                _namespaces.Add(ns);
                _collector.Found.Clear();
                CollectType(handle);
                foreach (var target in _collector.Found)
                {
                    string targetNs = NamespaceOf(md, target);
                    if (targetNs.Length == 0 || targetNs == ns) continue;
                    if (!_edges.TryGetValue((ns, targetNs), out var causes)) _edges[(ns, targetNs)] = causes = new(StringComparer.Ordinal);
                    causes.Add($"{FullName(md, handle)} -> {FullName(md, target)}");
                }
            }
            return new NamespaceDependencies(_edges, _namespaces);
        }

        private void CollectType(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            AddEntity(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations()) AddEntity(md.GetInterfaceImplementation(i).Interface);
            AddAttributes(type.GetCustomAttributes());
            AddGenericParameters(type.GetGenericParameters());
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(_collector, null);
                AddAttributes(field.GetCustomAttributes());
            }
            foreach (var p in type.GetProperties())
            {
                var prop = md.GetPropertyDefinition(p);
                prop.DecodeSignature(_collector, null);
                AddAttributes(prop.GetCustomAttributes());
            }
            foreach (var m in type.GetMethods())
            {
                var method = md.GetMethodDefinition(m);
                method.DecodeSignature(_collector, null);
                AddAttributes(method.GetCustomAttributes());
                AddGenericParameters(method.GetGenericParameters());
                if (method.RelativeVirtualAddress != 0) CollectBody(pe.GetMethodBody(method.RelativeVirtualAddress));
            }
        }

        private void CollectBody(MethodBodyBlock body)
        {
            if (!body.LocalSignature.IsNil)
                md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_collector, null);
            foreach (var region in body.ExceptionRegions) AddEntity(region.CatchType);
            var il = body.GetILReader();
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE) code = unchecked((short)(0xFE00 | il.ReadByte()));
                if (!OperandTypes.TryGetValue(code, out var operandType)) throw new InvalidDataException($"opcode {code:X} at IL offset {il.Offset} of {il.Length}");
                switch (operandType)
                {
                    case OperandType.InlineNone: break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                    case OperandType.InlineVar: il.Offset += 2; break;
                    case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                    case OperandType.InlineSwitch: int targets = il.ReadInt32(); il.Offset += 4 * targets; break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType
                        or OperandType.InlineTok or OperandType.InlineSig:
                        AddEntity(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    default: il.Offset += 4; break; // InlineI, InlineBrTarget, InlineString, ShortInlineR
                }
            }
        }

        private void AddAttributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes) AddEntity(md.GetCustomAttribute(a).Constructor);
        }

        private void AddGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var gp in parameters)
                foreach (var c in md.GetGenericParameter(gp).GetConstraints())
                    AddEntity(md.GetGenericParameterConstraint(c).Type);
        }

        private void AddEntity(EntityHandle handle)
        {
            if (handle.IsNil) return;
            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    _collector.Found.Add((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_collector, null);
                    break;
                case HandleKind.MethodDefinition:
                    _collector.Found.Add(md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    _collector.Found.Add(md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    AddEntity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method) member.DecodeMethodSignature(_collector, null);
                    else member.DecodeFieldSignature(_collector, null);
                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    AddEntity(spec.Method);
                    spec.DecodeSignature(_collector, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var sig = md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (sig.GetKind() == StandaloneSignatureKind.Method) sig.DecodeMethodSignature(_collector, null);
                    break;
                // TypeReference: a type from another assembly, not a namespace of ours.
            }
        }
    }

    internal static string NamespaceOf(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.IsNested) type = md.GetTypeDefinition(type.GetDeclaringType());
        return md.GetString(type.Namespace);
    }

    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        string name = md.GetString(type.Name);
        return type.IsNested ? FullName(md, type.GetDeclaringType()) + "+" + name : $"{md.GetString(type.Namespace)}.{name}";
    }

    /// <summary>Signature decoder that only notes which of the assembly's own type definitions appear.</summary>
    private sealed class Collector(MetadataReader md) : ISignatureTypeProvider<int, object?>
    {
        public HashSet<TypeDefinitionHandle> Found { get; } = [];

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Found.Add(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte rawTypeKind)
            => md.GetTypeSpecification(handle).DecodeSignature(this, context);

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? context, int index) => 0;
        public int GetGenericTypeParameter(object? context, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}

/// <summary>A directed graph of namespaces, for finding cycles.</summary>
public sealed class NamespaceGraph(IEnumerable<(string From, string To)> edges)
{
    /// <summary>Strongly connected components with more than one namespace (each one a dependency cycle).</summary>
    public List<List<string>> Cycles(Func<string, string>? group = null)
    {
        group ??= n => n;
        var adj = new Dictionary<string, HashSet<string>>();
        foreach (var (from, to) in edges)
        {
            string f = group(from), t = group(to);
            if (f == t) continue;
            (adj.TryGetValue(f, out var s) ? s : adj[f] = []).Add(t);
            adj.TryAdd(t, []);
        }
        // Tarjan's algorithm; recursive, depth at most the namespace count.
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        int next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v); onStack.Add(v);
            foreach (var w in adj[v])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var scc = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); scc.Add(x); } while (x != v);
            if (scc.Count > 1) { scc.Sort(StringComparer.Ordinal); result.Add(scc); }
        }
        foreach (var v in adj.Keys.OrderBy(k => k, StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }
}
