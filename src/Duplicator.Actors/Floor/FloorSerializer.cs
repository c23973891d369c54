using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Floor;

/// <summary>
/// Serializes the router's answers that carry a batch's ledger state when they cross a floor's nodes (a submission made
/// on another tower, a query through the singleton proxy): Akka's default Newtonsoft serializer cannot read
/// <see cref="Batches.BatchState"/>'s immutable sorted dictionaries back. JSON as the ledger stores it, under short
/// manifests (listed beside the ledger's in <see cref="Batches.BatchSerializer"/>); transient, never persisted. Bound
/// to each type in <see cref="Hocon"/>, which <see cref="Batches.PersistenceConfig"/> includes.
/// </summary>
public sealed class FloorSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>This serializer's id (project serializers use 100+; the ledger's is 4101).</summary>
    public const int Id = 4102;

    private static readonly (string Manifest, Type Type)[] Map =
    [
        ("fsub", typeof(Tower.Submitted)),
        ("frej", typeof(Tower.Rejected)),
        ("fba", typeof(Tower.BatchAnswer)),
        ("fbl", typeof(Tower.BatchList)),
        ("fbc", typeof(Tower.BatchChanged)),
        ("fview", typeof(Floor.View)), // may carry a BatchChanged
        ("fdh", typeof(Drives.DriveHistory.Histories)), // a tower's drive history, gathered by the router
    ];

    /// <summary>The HOCON that binds the serializer to those types.</summary>
    public static readonly string Hocon = $$"""
        akka.actor {
          serializers.duplicator-floor = "{{typeof(FloorSerializer).AssemblyQualifiedName}}"
          serialization-bindings {
        {{string.Join("\n", Map.Select(m => $"    \"{m.Type.AssemblyQualifiedName}\" = duplicator-floor"))}}
          }
          serialization-identifiers { "{{typeof(FloorSerializer).AssemblyQualifiedName}}" = {{Id}} }
        }
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) =>
        Map.FirstOrDefault(m => m.Type == o.GetType()).Manifest ?? throw new ArgumentException($"{o.GetType()} is not a floor answer");

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = Map.FirstOrDefault(m => m.Manifest == manifest).Type
            ?? throw new System.Runtime.Serialization.SerializationException($"unknown floor manifest '{manifest}'");
        return JsonSerializer.Deserialize(bytes, type, Json) ?? throw new System.Runtime.Serialization.SerializationException($"empty '{manifest}' payload");
    }
}
