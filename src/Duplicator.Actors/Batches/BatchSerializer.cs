using System.Text.Json;
using Akka.Actor;
using Akka.Serialization;
using Duplicator.Actors.Supervision;

namespace Duplicator.Actors.Batches;

/// <summary>
/// Serializes the batch ledger's events and snapshots as JSON under short manifests that never change
/// with a type's name (renaming a C# type must not make a journal unreadable, as Akka's default
/// Newtonsoft serializer with "$type" would). Bound to <see cref="IBatchPersisted"/> in <see cref="Hocon"/>.
/// </summary>
public sealed class BatchSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>This serializer's id (project serializers use 100+).</summary>
    public const int Id = 4101;

    /// <summary>The HOCON that binds the serializer to the ledger's types.</summary>
    public static readonly string Hocon = $$"""
        akka.actor {
          serializers.duplicator-batch = "{{typeof(BatchSerializer).AssemblyQualifiedName}}"
          serialization-bindings { "{{typeof(IBatchPersisted).AssemblyQualifiedName}}" = duplicator-batch }
          serialization-identifiers { "{{typeof(BatchSerializer).AssemblyQualifiedName}}" = {{Id}} }
        }
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Manifests are part of the on-disk format: never rename or reuse one.
    private static readonly (string Manifest, Type Type)[] Map =
    [
        ("bs", typeof(BatchSubmitted)),
        ("is", typeof(ImageStaged)),
        ("ds", typeof(DiscStarted)),
        ("dc", typeof(DiscCompleted)),
        ("df", typeof(DiscFailed)),
        ("bc", typeof(BatchCancelled)),
        ("bf", typeof(BatchFinished)),
        ("state", typeof(BatchState)),
        ("tr", typeof(BatchRegistered)),
        ("dq", typeof(DriveQuarantined)),
        ("qc", typeof(QuarantineCleared)),
        ("tc", typeof(BatchClosed)),
        ("tower", typeof(TowerRegistry)),
        ("tpa", typeof(TowerPaused)),
        ("tre", typeof(TowerResumed)),
        ("bpa", typeof(BatchPaused)),
        ("bre", typeof(BatchResumed)),
        ("dh", typeof(DriveHeld)),
        ("drl", typeof(DriveReleased)),
        ("hd", typeof(Drives.DriveHistory.DiscRecorded)),
        ("history", typeof(Drives.DriveHistory.State)),
        // Floor.FloorSerializer (id 4102, transient, never persisted) uses fsub, frej, fba, fbl, fbc for the router's answers.
    ];

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) =>
        Map.FirstOrDefault(m => m.Type == o.GetType()).Manifest ?? throw new ArgumentException($"{o.GetType()} is not a batch ledger type");

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var type = Map.FirstOrDefault(m => m.Manifest == manifest).Type
            ?? throw new System.Runtime.Serialization.SerializationException($"unknown batch ledger manifest '{manifest}'");
        var value = JsonSerializer.Deserialize(bytes, type, Json) ?? throw new System.Runtime.Serialization.SerializationException($"empty '{manifest}' payload");
        return Upcast(value);
    }

    /// <summary>
    /// Brings an older payload up to today's meaning: 026b234 marked an interrupted disc only by the reason text
    /// "interrupted" (no <see cref="DiscFailed.Interrupted"/>, no error code), so such an event is read as interrupted.
    /// </summary>
    private static object Upcast(object value) => value switch
    {
        DiscFailed { Interrupted: false, Error: null, Reason: "interrupted" } d => d with { Interrupted = true },
        _ => value,
    };
}
