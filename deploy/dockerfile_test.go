package deploy

import (
	"bufio"
	"go/version"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
}

// stage is one build stage: its FROM image and its instructions.
type stage struct {
	name, from string
	body       []instruction
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.body {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// readDockerfile parses deploy/Dockerfile into its global ARG defaults and
// its stages (enough of the syntax for this file: no heredocs).
func readDockerfile(t *testing.T) (args map[string]string, stages []stage) {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	args = map[string]string{}
	for _, line := range lines {
		cmd, rest, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(rest)}
		switch {
		case in.cmd == "FROM":
			fields := strings.Fields(in.args)
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
			s := stage{from: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				s.name = fields[2]
			}
			stages = append(stages, s)
		case len(stages) == 0 && in.cmd == "ARG":
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		case len(stages) > 0:
			stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
		}
	}
	return args, stages
}

// dockerfileTargets lists the stage names compose may build.
func dockerfileTargets(t *testing.T) []string {
	_, stages := readDockerfile(t)
	var names []string
	for _, s := range stages {
		names = append(names, s.name)
	}
	return names
}

func findStage(t *testing.T, stages []stage, name string) stage {
	t.Helper()
	for _, s := range stages {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("deploy/Dockerfile has no stage %q", name)
	return stage{}
}

func TestDockerfileBaseImagesPinned(t *testing.T) {
	args, stages := readDockerfile(t)
	var names []string
	for _, s := range stages {
		image := os.Expand(s.from, func(k string) string { return args[k] })
		if slices.Contains(names, image) {
			continue // an earlier stage
		}
		if tag := imageTag(image); tag == "" || tag == "latest" {
			t.Errorf("stage %s: base image %q is not pinned to a tag", s.name, image)
		}
		names = append(names, s.name)
	}
	// The builder is at least the go line of go.mod.
	goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goLine := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	builder := regexp.MustCompile(`^golang:(\d+\.\d+(?:\.\d+)?)-`).FindStringSubmatch(args["GO_IMAGE"])
	if goLine == nil || builder == nil {
		t.Fatalf("cannot compare go.mod's go line with GO_IMAGE %q", args["GO_IMAGE"])
	}
	if version.Compare("go"+builder[1], "go"+string(goLine[1])) < 0 {
		t.Errorf("GO_IMAGE %s is older than go.mod's go %s", args["GO_IMAGE"], goLine[1])
	}
}

func TestDockerfileBuild(t *testing.T) {
	_, stages := readDockerfile(t)
	build := findStage(t, stages, "build")
	text := ""
	for _, in := range build.body {
		text += in.cmd + " " + in.args + "\n"
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", `-ldflags="-s -w"`, "--mount=type=cache,target=/go/pkg/mod",
		"./cmd/call-processor", "./cmd/store-api-mock", "./cmd/callsim"} {
		if !strings.Contains(text, want) {
			t.Errorf("build stage lacks %s", want)
		}
	}
	runtime := findStage(t, stages, "runtime")
	if users := runtime.all("USER"); len(users) != 1 || strings.HasPrefix(users[0], "0") || strings.HasPrefix(users[0], "root") {
		t.Errorf("runtime USER %q, want one non-root user", users)
	}
	for _, label := range []string{"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision"} {
		if !strings.Contains(strings.Join(runtime.all("LABEL"), " "), label) {
			t.Errorf("runtime stage has no %s label", label)
		}
	}
}

func TestDockerfileTargets(t *testing.T) {
	_, stages := readDockerfile(t)
	tests := []struct {
		target      string
		expose      string
		healthcheck string // "" for none
		env         []string
		volume      string
	}{
		{target: "call-processor", expose: "8080 9092", healthcheck: `CMD ["/usr/local/bin/call-processor", "healthcheck"]`,
			env: []string{"RECORD_SPOOL_DIR=/data/spool", "HTTP_ADDR=:8080", "AUDIOSOCKET_ADDR=:9092"}, volume: `["/data/spool"]`},
		{target: "store-api-mock", expose: "8081", healthcheck: `CMD ["/usr/local/bin/store-api-mock", "healthcheck"]`,
			env: []string{"STORE_API_ADDR=:8081"}},
		{target: "callsim"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			s := findStage(t, stages, tt.target)
			if s.from != "runtime" {
				t.Errorf("FROM %s, want the shared runtime stage", s.from)
			}
			binary := "/usr/local/bin/" + tt.target
			if ep := s.all("ENTRYPOINT"); len(ep) != 1 || ep[0] != `["`+binary+`"]` {
				t.Errorf("ENTRYPOINT %q, want [%q]", ep, binary)
			}
			if !slices.ContainsFunc(s.all("COPY"), func(c string) bool { return strings.HasSuffix(c, " "+binary) }) {
				t.Errorf("no COPY of the binary to %s", binary)
			}
			hc := s.all("HEALTHCHECK")
			switch {
			case tt.healthcheck == "" && (len(hc) != 1 || hc[0] != "NONE"):
				t.Errorf("HEALTHCHECK %q, want NONE", hc)
			case tt.healthcheck != "" && (len(hc) != 1 || !strings.HasSuffix(hc[0], tt.healthcheck)):
				t.Errorf("HEALTHCHECK %q, want ... %s", hc, tt.healthcheck)
			}
			if got := strings.Join(s.all("EXPOSE"), " "); got != tt.expose {
				t.Errorf("EXPOSE %q, want %q", got, tt.expose)
			}
			envs := strings.Fields(strings.Join(s.all("ENV"), " "))
			for _, e := range tt.env {
				if !slices.Contains(envs, e) {
					t.Errorf("no ENV %s in %q", e, envs)
				}
			}
			if got := strings.Join(s.all("VOLUME"), " "); got != tt.volume {
				t.Errorf("VOLUME %q, want %q", got, tt.volume)
			}
			if !strings.Contains(strings.Join(s.all("LABEL"), " "), "org.opencontainers.image.title=") {
				t.Errorf("no org.opencontainers.image.title label")
			}
		})
	}
}

// The build context is an allow-list, and it lets in what the build copies.
func TestDockerignore(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	if len(patterns) == 0 || patterns[0] != "*" {
		t.Fatalf(".dockerignore must start by excluding everything (*), then allow; it starts %q", patterns)
	}
	var allowed []string
	for _, p := range patterns[1:] {
		if a, ok := strings.CutPrefix(p, "!"); ok {
			allowed = append(allowed, strings.TrimSuffix(a, "/"))
		}
	}
	for _, a := range allowed {
		if strings.Contains(a, ".env") || strings.Contains(a, "secret") || a == ".git" {
			t.Errorf(".dockerignore lets %q into the build context", a)
		}
	}
	_, stages := readDockerfile(t)
	for _, s := range stages {
		for _, c := range s.all("COPY") {
			if strings.HasPrefix(c, "--from=") {
				continue
			}
			fields := strings.Fields(c)
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--") })
			for _, src := range fields[:len(fields)-1] {
				if !slices.Contains(allowed, strings.TrimSuffix(src, "/")) {
					t.Errorf("stage %s copies %s, which .dockerignore leaves out", s.name, src)
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("stage %s copies %s: %v", s.name, src, err)
				}
			}
		}
	}
}
