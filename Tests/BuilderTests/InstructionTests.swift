import BerthModel
import Testing

@testable import Builder

/// One row: an instruction line and what it must parse to.
struct InstructionCase: Sendable, CustomTestStringConvertible {
    var line: String
    var expected: Command
    var testDescription: String { line }
}

private func row(_ line: String, _ expected: Command) -> InstructionCase {
    InstructionCase(line: line, expected: expected)
}

private func copy(_ sources: [String], _ destination: String, _ change: (inout FileCopy) -> Void = { _ in }) -> FileCopy
{
    var copy = FileCopy(sources: sources, destination: destination)
    change(&copy)
    return copy
}

private let instructions: [InstructionCase] = [
    // ARG: names, defaults (quotes kept for expansion), several per line.
    row("ARG A", .arg([ArgDeclaration(name: "A", defaultValue: nil)])),
    row(
        "ARG A=1 B C=",
        .arg([
            .init(name: "A", defaultValue: "1"), .init(name: "B", defaultValue: nil),
            .init(name: "C", defaultValue: ""),
        ])),
    row(#"ARG MSG="hello world""#, .arg([.init(name: "MSG", defaultValue: #""hello world""#)])),
    // ENV and LABEL: pairs as written, and the legacy form.
    row("ENV A=b c=d", .env([KeyValue(key: "A", value: "b"), KeyValue(key: "c", value: "d")])),
    row(
        #"ENV MY_DOG=Rex\ The\ Dog NAME="John Doe""#,
        .env([.init(key: "MY_DOG", value: #"Rex\ The\ Dog"#), .init(key: "NAME", value: #""John Doe""#)])),
    row("ENV ONE TWO= THREE=world", .env([KeyValue(key: "ONE", value: "TWO= THREE=world", isLegacy: true)])),
    row("ENV PATH   /usr/bin:$PATH", .env([KeyValue(key: "PATH", value: "/usr/bin:$PATH", isLegacy: true)])),
    row(
        #"LABEL "com.example.vendor"="ACME Inc" version=1.0"#,
        .label([.init(key: #""com.example.vendor""#, value: #""ACME Inc""#), .init(key: "version", value: "1.0")])),
    row("MAINTAINER Jane Doe <jane@example.com>", .maintainer("Jane Doe <jane@example.com>")),
    // RUN, CMD, ENTRYPOINT: exec and shell forms, flags.
    row(#"RUN ["echo", "hi"]"#, .run(RunInstruction(command: .exec(["echo", "hi"])))),
    row(
        "RUN echo 'we are running some # of cool things'",
        .run(RunInstruction(command: .shell("echo 'we are running some # of cool things'")))),
    row(
        #"RUN ["c:\windows\system32\tasklist.exe"]"#,
        .run(RunInstruction(command: .shell(#"["c:\windows\system32\tasklist.exe"]"#)))),
    row(#"RUN [ "echo", "$HOME" ]"#, .run(RunInstruction(command: .exec(["echo", "$HOME"])))),
    row(
        "RUN --network=none --mount=type=cache,target=/root/.cache pip install x",
        .run(
            RunInstruction(command: .shell("pip install x"), mounts: ["type=cache,target=/root/.cache"], network: .none)
        )),
    row(
        "RUN --mount=type=secret,id=aws --mount=type=bind,from=build,source=/out,target=/in --network=host make",
        .run(
            RunInstruction(
                command: .shell("make"), mounts: ["type=secret,id=aws", "type=bind,from=build,source=/out,target=/in"],
                network: .host))),
    row("RUN --security=sandbox true", .run(RunInstruction(command: .shell("true")))),
    row(
        #"RUN --mount="type=bind,source=a b,target=/c" ls"#,
        .run(RunInstruction(command: .shell("ls"), mounts: ["type=bind,source=a b,target=/c"]))),
    row("RUN -- --weird", .run(RunInstruction(command: .shell("--weird")))),
    row(#"CMD ["nginx", "-g", "daemon off;"]"#, .cmd(.exec(["nginx", "-g", "daemon off;"]))),
    row("CMD python app.py", .cmd(.shell("python app.py"))),
    row("CMD []", .cmd(.exec([]))),
    row(#"ENTRYPOINT ["top", "-b"]"#, .entrypoint(.exec(["top", "-b"]))),
    row("ENTRYPOINT exec top -b", .entrypoint(.shell("exec top -b"))),
    row(#"SHELL ["/bin/bash", "-o", "pipefail", "-c"]"#, .shell(["/bin/bash", "-o", "pipefail", "-c"])),
    // COPY and ADD.
    row("COPY a b /dest/", .copy(copy(["a", "b"], "/dest/"))),
    row(#"COPY ["my file.txt", "/a dir/"]"#, .copy(copy(["my file.txt"], "/a dir/"))),
    row(
        "COPY --from=build --chown=app:app --chmod=0755 --link /out /usr/bin/",
        .copy(
            copy(["/out"], "/usr/bin/") {
                $0.from = "build"; $0.chown = "app:app"; $0.chmod = "0755"; $0.link = true
            })),
    row("COPY --from=0 /x /y", .copy(copy(["/x"], "/y") { $0.from = "0" })),
    row(
        "COPY --from=nginx:1.27 /etc/nginx/nginx.conf /",
        .copy(copy(["/etc/nginx/nginx.conf"], "/") { $0.from = "nginx:1.27" })),
    row(
        "COPY --exclude=*.txt --exclude=*.md --parents hom* /mydir/",
        .copy(
            copy(["hom*"], "/mydir/") {
                $0.excludes = ["*.txt", "*.md"]; $0.parents = true
            })),
    row("COPY --link=false --parents=true x /", .copy(copy(["x"], "/") { $0.parents = true })),
    row("COPY arr[[]0].txt index.?s /dest/", .copy(copy(["arr[[]0].txt", "index.?s"], "/dest/"))),
    row(
        "ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/linux.tar.gz /",
        .add(
            copy(["https://example.com/linux.tar.gz"], "/") {
                $0.checksum = "sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d"
            })),
    row(
        "ADD --unpack=false --keep-git-dir=true app.tar.gz /srv/",
        .add(
            copy(["app.tar.gz"], "/srv/") {
                $0.unpack = false; $0.keepGitDir = true
            })),
    row("ADD --exclude=*.mp3 dir3/ /3/", .add(copy(["dir3/"], "/3/") { $0.excludes = ["*.mp3"] })),
    // The one-argument instructions keep their text whole.
    row("WORKDIR /path/to/$DIRNAME", .workdir("/path/to/$DIRNAME")),
    row("WORKDIR  my dir ", .workdir("my dir")),
    row("USER app:staff", .user("app:staff")),
    row("USER ${username:-some_user}", .user("${username:-some_user}")),
    row("STOPSIGNAL SIGQUIT", .stopSignal("SIGQUIT")),
    row(#"VOLUME ["/data", "/var/log"]"#, .volume(["/data", "/var/log"])),
    row("VOLUME /var/log /var/db", .volume(["/var/log", "/var/db"])),
    row("EXPOSE 80/udp 443 8000-8010/tcp", .expose(["443", "80/udp", "8000-8010/tcp"])),
    // HEALTHCHECK.
    row("HEALTHCHECK NONE", .healthcheck(.none)),
    row("healthcheck none", .healthcheck(.none)),
    row(
        "HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=4 CMD curl -f http://localhost/ || exit 1",
        .healthcheck(
            .check(
                .shell("curl -f http://localhost/ || exit 1"),
                HealthcheckOptions(
                    interval: .seconds(300), timeout: .seconds(3), startPeriod: .seconds(90),
                    startInterval: .milliseconds(500), retries: 4)))),
    row(
        #"HEALTHCHECK CMD ["/bin/check", "--fast"]"#,
        .healthcheck(.check(.exec(["/bin/check", "--fast"]), HealthcheckOptions()))),
    row("HEALTHCHECK --interval=0s --retries=0 CMD true", .healthcheck(.check(.shell("true"), HealthcheckOptions()))),
    // ONBUILD: the trigger's text and the trigger checked.
    row(
        "ONBUILD ADD . /app/src",
        .onbuild(
            trigger: "ADD . /app/src",
            instruction: Instruction(
                location: DockerfileLocation(file: "Dockerfile", line: 2), keyword: "ADD", text: "ADD . /app/src",
                command: .add(copy(["."], "/app/src"))))),
]

@Suite("Dockerfile: every instruction and form")
struct InstructionTests {
    @Test(arguments: instructions)
    func parses(_ row: InstructionCase) throws {
        #expect(try command(row.line) == row.expected)
    }

    /// The exec form is JSON as Go reads it; anything that is not valid JSON
    /// is the shell form.
    @Test(arguments: [
        ("CMD [\t\"a\",\t\"b\"\t]\t", CommandForm.exec(["a", "b"])),
        (#"CMD [""]"#, .exec([""])),
        (
            #"CMD ["abc 123", "♥", "\" \\ \/ \b \f \n \r \t \u0000"]"#,
            .exec(["abc 123", "♥", "\" \\ / \u{08} \u{0C} \n \r \t \u{00}"])
        ),
        (#"CMD ["\ud83d\ude00", "\ud83d"]"#, .exec(["😀", "\u{FFFD}"])),
        (#"CMD ["a",]"#, .shell(#"["a",]"#)),
        (#"CMD ["a" "b"]"#, .shell(#"["a" "b"]"#)),
        (#"CMD ['a']"#, .shell("['a']")),
        (#"CMD ["a"] trailing"#, .shell(#"["a"] trailing"#)),
    ])
    func execFormIsJSON(_ line: String, _ expected: CommandForm) throws {
        #expect(try command(line) == .cmd(expected))
    }

    @Test func instructionsAreCaseInsensitive() throws {
        #expect(try command("run echo hi") == .run(RunInstruction(command: .shell("echo hi"))))
        #expect(try parse("from scratch as Base\ncopy a b\n").stages[0].name == "base")
    }

    /// `[n]<<[-]WORD`: quoting any part of the word turns expansion off; `-`
    /// strips leading tabs when the body is used.
    @Test(
        arguments: [
            ("RUN <<EOF\nEOF", "EOF", "", true, false, nil),
            ("RUN 3<<EMPTY2\nEMPTY2", "EMPTY2", "", true, false, 3),
            ("RUN <<INDENT\n\tfoo\n\tbar\nINDENT", "INDENT", "\tfoo\n\tbar\n", true, false, nil),
            ("RUN <<-UNINDENT\n\tbaz\n\tquux\n\tUNINDENT", "UNINDENT", "\tbaz\n\tquux\n", true, true, nil),
            (
                "RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND", "NOEXPAND", "\tdon't expand $NAME\n", false, true,
                nil
            ),
            (
                "RUN <<COMMENT\n# internal comment\necho hi # trailing\nCOMMENT", "COMMENT",
                "# internal comment\necho hi # trailing\n", true, false, nil
            ),
            ("RUN <<eo'f'\necho foo\neof", "eof", "echo foo\n", false, false, nil),
            ("RUN <<eo\\'f\necho foo\neo'f", "eo'f", "echo foo\n", true, false, nil),
            ("RUN <<'one two'\necho bar\none two", "one two", "echo bar\n", false, false, nil),
            ("RUN <<$EOF\n$EOF", "$EOF", "", true, false, nil),
            ("RUN <<  EOF  > foo\nEOF", "EOF", "", true, false, nil),
            ("RUN <<\"EOF\"\nx\nEOF", "EOF", "x\n", false, false, nil),
        ] as [(String, String, String, Bool, Bool, Int?)])
    func heredocs(_ text: String, _ name: String, _ content: String, _ expands: Bool, _ strips: Bool, _ fd: Int?) throws
    {
        guard case .run(let run) = try command(text), case .shell(_, let heredocs) = run.command else {
            throw TestProblem("not a shell RUN")
        }
        #expect(
            heredocs == [Heredoc(name: name, content: content, expands: expands, stripsTabs: strips, descriptor: fd)])
    }

    @Test func severalHeredocsPerLineAndHeredocCopies() throws {
        let dockerfile = try parse(
            "FROM scratch\nRUN <<FILE1 cat > file1 && <<FILE2 cat > file2\nI am\nfirst\nFILE1\nI am\nsecond\nFILE2\n"
                + "COPY <<X <<-Y /dest/\nY\nX\n\tX\n\tY\nUSER me\n")
        let commands = dockerfile.stages[0].instructions.map(\.command)
        #expect(
            commands[0]
                == .run(
                    RunInstruction(
                        command: .shell(
                            "<<FILE1 cat > file1 && <<FILE2 cat > file2",
                            heredocs: [
                                Heredoc(name: "FILE1", content: "I am\nfirst\n", expands: true, stripsTabs: false),
                                Heredoc(name: "FILE2", content: "I am\nsecond\n", expands: true, stripsTabs: false),
                            ]))))
        #expect(
            commands[1]
                == .copy(
                    FileCopy(
                        sources: [],
                        inlineFiles: [
                            Heredoc(name: "X", content: "Y\n", expands: true, stripsTabs: false),
                            Heredoc(name: "Y", content: "\tX\n", expands: true, stripsTabs: true),
                        ], destination: "/dest/")))
        #expect(commands[2] == .user("me"))
    }

    @Test func heredocsAreNotReadForTheExecFormOrOtherInstructions() throws {
        #expect(try command(#"RUN ["<<EOF"]"#) == .run(RunInstruction(command: .exec(["<<EOF"]))))
        #expect(try command(#"RUN "<<NOHEREDOC""#) == .run(RunInstruction(command: .shell(#""<<NOHEREDOC""#))))
        #expect(try command("USER <<INVALID") == .user("<<INVALID"))
    }

    @Test func heredocBodiesStripTabsWhenUsed() {
        let heredoc = Heredoc(name: "E", content: "\tone\n\t\ttwo\nthree\t\n", expands: true, stripsTabs: true)
        #expect(heredoc.body == "one\ntwo\nthree\t\n")
    }

    @Test func onbuildKeepsItsHeredocsInTheTrigger() throws {
        guard case .onbuild(let trigger, let instruction) = try command("ONBUILD RUN <<EOF\necho hi\nEOF") else {
            throw TestProblem("not ONBUILD")
        }
        #expect(trigger == "RUN <<EOF\necho hi\nEOF")
        #expect(instruction.keyword == "RUN")
    }

    @Test(arguments: [
        ("COPY onlyone", "Dockerfile:2: COPY: needs a source and a destination"),
        ("COPY a <<EOF\nEOF", "Dockerfile:2: COPY: the destination cannot be a heredoc"),
        ("COPY --form=x a b", "Dockerfile:2: COPY: unknown flag --form; did you mean --from?"),
        ("COPY --from=a --from=b x y", "Dockerfile:2: COPY: --from is given twice"),
        ("COPY --link=maybe a b", "Dockerfile:2: COPY: --link takes true or false, not maybe"),
        ("COPY --link= a b", "Dockerfile:2: COPY: --link= needs a value (true or false)"),
        ("COPY --chown a b", "Dockerfile:2: COPY: --chown needs a value (--chown=…)"),
        (
            "COPY --from=$STAGE a b",
            "Dockerfile:2: COPY: --from=$STAGE: variables are not expanded in --from; name a stage made with FROM and a global ARG"
        ),
        ("COPY --checksum=sha256:00 a b", "Dockerfile:2: COPY: unknown flag --checksum"),
        ("ADD --from=x a b", "Dockerfile:2: ADD: unknown flag --from"),
        ("RUN --network=bridge true", "Dockerfile:2: RUN: --network=bridge: expected default, none or host"),
        (
            "RUN --security=insecure true",
            "Dockerfile:2: RUN: --security=insecure is not supported: Berth runs every step sandboxed"
        ),
        (
            "RUN --mount=type=bind,from=$X,target=/x true",
            "Dockerfile:2: RUN: --mount from=$X: variables are not expanded in from=; name a stage made with FROM and a global ARG"
        ),
        ("RUN --device=gpu true", "Dockerfile:2: RUN: unknown flag --device"),
        (#"RUN ["echo", 1]"#, "Dockerfile:2: RUN: when using JSON array syntax, arrays must be made of strings only"),
        ("SHELL /bin/bash -c", #"Dockerfile:2: SHELL: needs the JSON form: SHELL ["executable", "parameters"]"#),
        ("SHELL []", "Dockerfile:2: SHELL: needs at least the executable"),
        ("ENV", "Dockerfile:2: ENV: needs at least one key=value"),
        ("ENV ALONE", "Dockerfile:2: ENV: ALONE has no value: write ALONE=value"),
        ("ENV A=1 B", "Dockerfile:2: ENV: B has no =: write name=value"),
        ("LABEL =x", "Dockerfile:2: LABEL: a name cannot be empty"),
        ("ARG", "Dockerfile:2: ARG: needs at least one name"),
        ("ARG =1", "Dockerfile:2: ARG: a name cannot be empty"),
        ("WORKDIR", "Dockerfile:2: WORKDIR: needs exactly one argument"),
        ("ENV --x=1 A=b", "Dockerfile:2: ENV: unknown flag --x"),
        ("VOLUME", "Dockerfile:2: VOLUME: needs at least one path"),
        (#"VOLUME ["/a", " "]"#, "Dockerfile:2: VOLUME: a volume path cannot be empty"),
        ("EXPOSE", "Dockerfile:2: EXPOSE: needs at least one port"),
        ("HEALTHCHECK", "Dockerfile:2: HEALTHCHECK: needs NONE or CMD and a command"),
        ("HEALTHCHECK NONE now", "Dockerfile:2: HEALTHCHECK: NONE takes no arguments"),
        ("HEALTHCHECK CMD", "Dockerfile:2: HEALTHCHECK: CMD needs a command"),
        ("HEALTHCHECK RUN x", "Dockerfile:2: HEALTHCHECK: unknown type RUN: expected CMD or NONE"),
        (
            "HEALTHCHECK --interval=5 CMD x",
            "Dockerfile:2: HEALTHCHECK: --interval=5 is not a duration (like 30s or 1m30s)"
        ),
        ("HEALTHCHECK --timeout=10us CMD x", "Dockerfile:2: HEALTHCHECK: --timeout=10us is shorter than 1ms"),
        ("HEALTHCHECK --retries=-1 CMD x", "Dockerfile:2: HEALTHCHECK: --retries cannot be negative"),
        ("HEALTHCHECK --retries=x CMD x", "Dockerfile:2: HEALTHCHECK: --retries=x is not a whole number"),
        ("ONBUILD", "Dockerfile:2: ONBUILD: needs an instruction to run later"),
        ("ONBUILD ONBUILD RUN x", "Dockerfile:2: ONBUILD: ONBUILD ONBUILD is not allowed"),
        ("ONBUILD FROM x", "Dockerfile:2: ONBUILD: FROM is not allowed as a trigger"),
        ("ONBUILD MAINTAINER me", "Dockerfile:2: ONBUILD: MAINTAINER is not allowed as a trigger"),
        ("ONBUILD RUNN x", "Dockerfile:2: RUNN: unknown instruction; did you mean RUN?"),
        ("RUN <<EOF\necho never closed", "Dockerfile:2: RUN: the heredoc <<EOF is never closed by a line EOF"),
        (
            "COPY <<'EOF /x\nEOF",
            "Dockerfile:2: COPY: heredoc <<'EOF: unexpected end of text while looking for the matching single quote"
        ),
    ])
    func badInstructionsAreNamedWithTheirLine(_ line: String, _ message: String) {
        #expect(errorMessage { _ = try command(line) } == message)
    }
}
