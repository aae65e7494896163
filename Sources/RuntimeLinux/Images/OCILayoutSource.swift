import BerthModel
import Registry

/// An OCI image layout: `oci-layout`, `index.json`, and `blobs/sha256/<hex>`.
///
/// Each entry of `index.json` is an image (or a multi-platform index, from
/// which this host's platform is taken); entries with the same manifest are
/// one image with several names. Every blob read here is checked against its
/// digest before it is believed.
enum OCILayoutSource {
    private struct Layout: Decodable { var imageLayoutVersion: String }

    static func stage(_ directory: String, origin: String) throws(BerthError) -> [StagedImage] {
        let source = "the OCI layout \(origin)"
        let layoutPath = try FileOps.regularFile("oci-layout", in: directory, what: source)
        _ = try decodeJSON(
            Layout.self, try FileOps.read(layoutPath, what: "oci-layout"), what: "oci-layout of \(source)")
        let indexPath = try FileOps.regularFile("index.json", in: directory, what: source)
        let index = try decodeJSON(
            ImageIndex.self, try FileOps.read(indexPath, what: "index.json"), what: "index.json of \(source)")

        var staged: [StagedImage] = []
        var position: [Digest: Int] = [:]
        for (i, entry) in index.manifests.enumerated() {
            let names = try self.names(entry, source: source)
            let label = names.first.map { "image \"\($0.familiar)\"" } ?? "image \(i + 1)"
            let descriptor = try platformManifest(entry, directory: directory, what: "\(label) in \(source)")
            if let at = position[descriptor.digest] {
                staged[at].names += names
                continue
            }
            position[descriptor.digest] = staged.count
            staged.append(try image(descriptor, names: names, directory: directory, label: label, source: source))
        }
        return staged
    }

    /// The image a manifest descriptor points at, its blobs checked by digest.
    private static func image(
        _ descriptor: Descriptor, names: [ImageReference], directory: String, label: String, source: String
    ) throws(BerthError) -> StagedImage {
        let what = "the manifest \(descriptor.digest) of \(label) in \(source)"
        let bytes = try blob(descriptor.digest, in: directory, what: what)
        let manifest = try decodeJSON(Manifest.self, bytes, what: what)
        guard manifest.schemaVersion == 2 else {
            throw BerthError(.unsupported, "\(what) has schemaVersion \(manifest.schemaVersion); only 2 is supported")
        }
        var layers: [StagedBlob] = []
        for (n, layer) in manifest.layers.enumerated() {
            let layerWhat = "layer \(n + 1) (\(layer.digest)) of \(label) in \(source)"
            if MediaType.isForeign(layer.mediaType) {
                throw BerthError(
                    .unsupported,
                    "\(layerWhat) is a foreign layer (\(layer.mediaType)) whose content is not in the archive")
            }
            layers.append(
                StagedBlob(
                    path: try blobPath(layer.digest, in: directory, what: layerWhat), expected: layer.digest,
                    what: layerWhat))
        }
        let configWhat = "the config \(manifest.config.digest) of \(label) in \(source)"
        let config = StagedBlob(
            path: try blobPath(manifest.config.digest, in: directory, what: configWhat),
            expected: manifest.config.digest,
            what: configWhat)
        return StagedImage(
            names: names, manifest: (bytes, descriptor.digest, manifest.mediaType ?? descriptor.mediaType),
            config: .blob(config), layers: layers, origin: "\(label) in \(source)")
    }

    /// The names an index entry gives: containerd's full-name annotation, or
    /// an OCI ref name that is itself a whole reference. A ref name that is a
    /// tag alone (`latest`, as `skopeo copy oci:dir:latest` writes) names no
    /// repository, so the image needs a name from the caller.
    private static func names(_ entry: Descriptor, source: String) throws(BerthError) -> [ImageReference] {
        let annotations = entry.annotations ?? [:]
        let text: String
        if let full = annotations[Annotation.imageName] {
            text = full
        } else if let ref = annotations[Annotation.refName], ref.contains("/") || ref.contains(":") {
            text = ref
        } else {
            return []
        }
        do throws(BerthError) {
            let reference = try ImageReference(parsing: text)
            return reference.tag == nil ? [] : [reference]
        } catch {
            throw BerthError(
                .invalidArchive, "index.json of \(source) names an image \"\(text)\"", cause: error.description)
        }
    }

    /// `entry` itself when it is a manifest; when it is an index, the manifest
    /// in it for this host's platform (or its only one).
    private static func platformManifest(_ entry: Descriptor, directory: String, what: String) throws(BerthError)
        -> Descriptor
    {
        guard MediaType.indexes.contains(entry.mediaType) else { return entry }
        let indexWhat = "the index \(entry.digest) of \(what)"
        let nested = try decodeJSON(
            ImageIndex.self, try blob(entry.digest, in: directory, what: indexWhat), what: indexWhat)
        let host = (os: HostPlatform.os, architecture: HostPlatform.architecture)
        let matching = nested.manifests.filter {
            $0.platform?.os == host.os && $0.platform?.architecture == host.architecture
                && MediaType.manifests.contains($0.mediaType)
        }
        if let chosen = matching.first ?? (nested.manifests.count == 1 ? nested.manifests.first : nil) {
            guard !MediaType.indexes.contains(chosen.mediaType) else {
                throw BerthError(.unsupported, "\(indexWhat) nests an index in an index")
            }
            return chosen
        }
        let platforms = nested.manifests.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" } }
        throw BerthError(
            .unsupported, "\(what) has no image for this host's platform \(host.os)/\(host.architecture)",
            cause: "it has \(platforms.isEmpty ? "no platforms" : platforms.joined(separator: ", "))")
    }

    /// `blobs/sha256/<hex>` inside the layout, refusing symlinks and absences.
    private static func blobPath(_ digest: Digest, in directory: String, what: String) throws(BerthError) -> String {
        try FileOps.regularFile("blobs/sha256/\(digest.hex)", in: directory, what: what)
    }

    /// A small blob's bytes, checked against its digest.
    private static func blob(_ digest: Digest, in directory: String, what: String) throws(BerthError) -> [UInt8] {
        let bytes = try FileOps.read(try blobPath(digest, in: directory, what: what), what: what)
        try BlobStore.check(Digest(of: bytes), digest, what: what)
        return bytes
    }
}
