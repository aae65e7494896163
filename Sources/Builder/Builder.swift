/// Berth's image builder, the half that decides: Dockerfile → stages and
/// steps → cache keys and image configs. Nothing here runs a container or
/// writes a layer; the caller executes the plan it gets.
///
/// A build, in the order the caller goes:
///
/// 1. `BuildContext.open(directory:dockerfile:)` checks the context
///    directory, reads and parses the Dockerfile (a file or compose's
///    `dockerfile_inline`), and reads `NAME.dockerignore` beside it or the
///    context's `.dockerignore`. Syntax errors say
///    `Dockerfile:LINE: INSTRUCTION: what`.
/// 2. `BuildGraph(dockerfile:options:)` applies the build args to the
///    global `ARG`s, expands and resolves every `FROM`, picks the target
///    (`--target`, else the last stage) and the stages it needs.
///    `requiredImages(given:)` lists the images to resolve (pull or find in
///    the store); ask again with what was found, since a base image's
///    `ONBUILD` triggers may name more.
/// 3. `plan(images:)` plans each needed stage: its `BuildStep`s (`RUN` with
///    its argv, environment, mounts and settings; `COPY`/`ADD` with their
///    sources and absolute destination; `WORKDIR`'s directory), its final
///    `DockerImageConfig` with the history docker writes, and the `levels`
///    in which stages can run side by side.
/// 4. `CacheKeys.compute(plan, images:context:)` keys every layer step from
///    its parent and its inputs, reading from the context exactly the files
///    the `COPY`/`ADD` and bind mounts name (`BuildContext.select`, whose
///    result also tells the executor what to copy).
///
/// The caller then walks the levels: for each stage, each step with a
/// layer either finds its key in the cache or runs (a `RUN` in a container
/// over the layers so far, a `COPY` into a fresh layer), and fills the
/// config's `rootfs` and the history's `created` as it commits.
enum BuilderModule {}
