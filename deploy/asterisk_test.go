package deploy

import (
	"bufio"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/tirevoice/assistant/internal/config"
)

// confSection is one [section] of an Asterisk configuration file.
type confSection struct {
	name      string
	templates []string // (template) or (!) markers after the name
	lines     []confLine
}

// confLine is "key = value" or "key => value", comments removed.
type confLine struct {
	key, value string
	n          int // line number
}

func (s confSection) values(key string) []string {
	var out []string
	for _, l := range s.lines {
		if l.key == key {
			out = append(out, l.value)
		}
	}
	return out
}

func (s confSection) value(key string) string {
	v := s.values(key)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

var sectionRE = regexp.MustCompile(`^\[([^\]]+)\](?:\(([^)]*)\))?$`)

// readConf parses asterisk/NAME (what this repository's files use: no
// escaped semicolons, no multi-line values). Directives (#include) are kept
// as lines with key "#".
func readConf(t *testing.T, name string) []confSection {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "asterisk", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []confSection
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.Index(line, ";"); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			if len(out) == 0 {
				out = append(out, confSection{})
			}
			out[len(out)-1].lines = append(out[len(out)-1].lines, confLine{"#", line, n})
		case sectionRE.MatchString(line):
			m := sectionRE.FindStringSubmatch(line)
			var tmpl []string
			if m[2] != "" {
				tmpl = strings.Split(m[2], ",")
			}
			out = append(out, confSection{name: m[1], templates: tmpl})
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || len(out) == 0 {
				t.Fatalf("asterisk/%s:%d: not a setting: %q", name, n, line)
			}
			v = strings.TrimPrefix(v, ">")
			out[len(out)-1].lines = append(out[len(out)-1].lines, confLine{strings.TrimSpace(k), strings.TrimSpace(v), n})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sections returns the sections called name (pjsip.conf reuses names for
// objects of different types).
func sections(conf []confSection, name string) []confSection {
	var out []confSection
	for _, s := range conf {
		if s.name == name {
			out = append(out, s)
		}
	}
	return out
}

func section(t *testing.T, conf []confSection, name string) confSection {
	t.Helper()
	s := sections(conf, name)
	if len(s) != 1 {
		t.Fatalf("want one [%s], found %d", name, len(s))
	}
	return s[0]
}

// dialplan returns the application calls of a context in order: the part
// after "exten => ext,prio," or "same => n(label),".
func dialplan(t *testing.T, ext []confSection, context string) []string {
	t.Helper()
	var apps []string
	for _, l := range section(t, ext, context).lines {
		var fields []string
		switch l.key {
		case "exten":
			fields = strings.SplitN(l.value, ",", 3)
		case "same":
			fields = append([]string{""}, strings.SplitN(l.value, ",", 2)...)
		default:
			continue
		}
		if len(fields) != 3 {
			t.Fatalf("extensions.conf:%d: %s => %s", l.n, l.key, l.value)
		}
		apps = append(apps, fields[2])
	}
	return apps
}

// The dialplan registers the call, streams it to the processor's AudioSocket
// port, asks what next, and sends the caller to the operators queue when the
// processor says so or anything fails (DESIGN.md, "Call flow").
func TestDialplan(t *testing.T) {
	ext := readConf(t, "extensions.conf")
	globals := section(t, ext, "globals")

	// The globals point at the processor as the compose stacks run it.
	vars := map[string]string{}
	for _, v := range config.Vars() {
		vars[v.Name] = v.Default
	}
	_, asPort, _ := net.SplitHostPort(vars["AUDIOSOCKET_ADDR"])
	_, httpPort, _ := net.SplitHostPort(vars["HTTP_ADDR"])
	host, port, err := net.SplitHostPort(globals.value("PROCESSOR_AUDIOSOCKET"))
	if err != nil || host != "call-processor" || port != asPort {
		t.Errorf("PROCESSOR_AUDIOSOCKET = %q, want call-processor:%s (AUDIOSOCKET_ADDR)", globals.value("PROCESSOR_AUDIOSOCKET"), asPort)
	}
	api, err := url.Parse(globals.value("PROCESSOR_API"))
	if err != nil || api.Hostname() != "call-processor" || api.Port() != httpPort {
		t.Errorf("PROCESSOR_API = %q, want http://call-processor:%s (HTTP_ADDR)", globals.value("PROCESSOR_API"), httpPort)
	}
	for _, s := range []stack{dev, staging} {
		p := s.mustLoad(t)
		svc, ok := p.Services[host]
		if !ok || !slices.ContainsFunc(svc.Ports, func(pc types.ServicePortConfig) bool { return strconv.Itoa(int(pc.Target)) == port }) {
			t.Errorf("%s: no service %s with container port %s for Asterisk", s.name, host, port)
		}
	}

	// The steps of one call, in order.
	call := dialplan(t, ext, "tirevoice-call")
	steps := []struct {
		what string
		re   string
	}{
		{"answer", `^Answer\(\)$`},
		{"a UUID from func_uuid", `^Set\(CALL_UUID=\$\{UUID\(\)\}\)$`},
		{"register the call (POST uuid, caller, called)", `CURL\(\$\{PROCESSOR_API\}/api/v1/calls,uuid=\$\{CALL_UUID\}&caller=\$\{URIENCODE\(\$\{CALLERID\(num\)\}\)\}&called=`},
		{"on a failed registration, the operators", `^GotoIf\(.*REGISTERED.*\?converse\)$`},
		{"", `^Goto\(tirevoice-operator,s,1\)$`},
		{"AudioSocket to the processor, kept on failure", `^TryExec\(AudioSocket\(\$\{CALL_UUID\},\$\{PROCESSOR_AUDIOSOCKET\}\)\)$`},
		{"on an AudioSocket failure, the operators", `^GotoIf\(\$\["\$\{TRYSTATUS\}" != "SUCCESS"\]\?`},
		{"ask what next", `CURL\(\$\{PROCESSOR_API\}/api/v1/calls/\$\{CALL_UUID\}/next\?field=action\)`},
		{"hang up only on an explicit hangup", `^GotoIf\(\$\["\$\{NEXT\}" = "hangup"\]\?done\)$`},
		{"otherwise the operators", `^Goto\(tirevoice-operator,s,1\)$`},
		{"", `^Hangup\(\)$`},
	}
	i := 0
	for _, st := range steps {
		re := regexp.MustCompile(st.re)
		for i < len(call) && !re.MatchString(call[i]) {
			i++
		}
		if i == len(call) {
			t.Fatalf("[tirevoice-call] does not %s (%s) after the steps before it:\n%s", st.what, st.re, strings.Join(call, "\n"))
		}
		i++
	}
	if op := dialplan(t, ext, "tirevoice-operator"); !slices.ContainsFunc(op, func(a string) bool { return strings.HasPrefix(a, "Queue(operators,") }) {
		t.Errorf("[tirevoice-operator] does not queue to operators: %q", op)
	}

	// Every Goto lands in a context that exists.
	contexts := map[string]bool{}
	for _, s := range ext {
		contexts[s.name] = true
	}
	gotoRE := regexp.MustCompile(`Goto\(([a-z-]+),`)
	for _, s := range ext {
		for _, l := range s.lines {
			for _, m := range gotoRE.FindAllStringSubmatch(l.value, -1) {
				if !contexts[m[1]] {
					t.Errorf("extensions.conf:%d: Goto to a missing context %q", l.n, m[1])
				}
			}
		}
	}
	// The softphones' contexts exist.
	for _, e := range endpoints(t) {
		if !contexts[e.value("context")] {
			t.Errorf("pjsip.conf endpoint %s: context %q is not in extensions.conf", e.name, e.value("context"))
		}
	}
}

// endpoints returns pjsip.conf's endpoints, templates applied.
func endpoints(t *testing.T) []confSection {
	t.Helper()
	conf := readConf(t, "pjsip.conf")
	templates := map[string]confSection{}
	for _, s := range conf {
		if slices.Contains(s.templates, "!") {
			templates[s.name] = s
		}
	}
	var out []confSection
	for _, s := range conf {
		if slices.Contains(s.templates, "!") {
			continue
		}
		var full confSection
		full.name = s.name
		for _, tmpl := range s.templates {
			full.lines = append(full.lines, templates[tmpl].lines...)
		}
		full.lines = append(full.lines, s.lines...)
		if full.value("type") == "endpoint" {
			out = append(out, full)
		}
	}
	return out
}

// The operators queue rings an endpoint that exists; the modules the
// dialplan uses are required; SIP listens where compose publishes it.
func TestAsteriskConfig(t *testing.T) {
	queue := section(t, readConf(t, "queues.conf"), "operators")
	members := queue.values("member")
	if len(members) == 0 {
		t.Fatal("queue operators has no member")
	}
	var names []string
	for _, e := range endpoints(t) {
		names = append(names, e.name)
	}
	for _, m := range members {
		ep, ok := strings.CutPrefix(m, "PJSIP/")
		if !ok || !slices.Contains(names, ep) {
			t.Errorf("queue member %q is not a pjsip.conf endpoint %v", m, names)
		}
	}

	required := section(t, readConf(t, "modules.conf"), "modules").values("require")
	for _, m := range []string{"chan_pjsip.so", "res_audiosocket.so", "app_audiosocket.so", "res_curl.so", "func_curl.so",
		"func_uuid.so", "func_strings.so", "func_uri.so", "func_callerid.so", "app_exec.so", "app_queue.so", "app_dial.so"} {
		if !slices.Contains(required, m) {
			t.Errorf("modules.conf does not require %s", m)
		}
	}

	transport := section(t, readConf(t, "pjsip.conf"), "transport-udp")
	if transport.value("protocol") != "udp" || transport.value("bind") != "0.0.0.0:5060" {
		t.Errorf("transport-udp: %s on %s, want udp on 0.0.0.0:5060", transport.value("protocol"), transport.value("bind"))
	}
}

// rtpRange returns rtp.conf's RTP port range.
func rtpRange(t *testing.T) (start, end uint32) {
	t.Helper()
	g := section(t, readConf(t, "rtp.conf"), "general")
	s, err1 := strconv.ParseUint(g.value("rtpstart"), 10, 16)
	e, err2 := strconv.ParseUint(g.value("rtpend"), 10, 16)
	if err1 != nil || err2 != nil || e < s {
		t.Fatalf("rtp.conf: rtpstart %q, rtpend %q", g.value("rtpstart"), g.value("rtpend"))
	}
	return uint32(s), uint32(e)
}
