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
	"github.com/tirevoice/assistant/internal/routing"
	"github.com/tirevoice/assistant/internal/seed"
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

	// The globals take the processor's address from Asterisk's environment,
	// and the compose stacks set it to the processor as they run it.
	vars := map[string]string{}
	for _, v := range config.Vars() {
		vars[v.Name] = v.Default
	}
	_, asPort, _ := net.SplitHostPort(vars["AUDIOSOCKET_ADDR"])
	_, httpPort, _ := net.SplitHostPort(vars["HTTP_ADDR"])
	for _, name := range []string{"PROCESSOR_API", "PROCESSOR_AUDIOSOCKET", "OPERATOR_QUEUE_DEFAULT"} {
		if got, want := globals.value(name), "${ENV("+name+")}"; got != want {
			t.Errorf("[globals] %s = %q, want %q", name, got, want)
		}
	}
	envRE := regexp.MustCompile(`\$\{ENV\(([A-Z_]+)\)\}`)
	var fromEnv []string
	for _, s := range ext {
		for _, l := range s.lines {
			for _, m := range envRE.FindAllStringSubmatch(l.value, -1) {
				if s.name != "globals" {
					t.Errorf("extensions.conf:%d: ENV(%s) outside [globals]; read the environment once, there", l.n, m[1])
				}
				fromEnv = append(fromEnv, m[1])
			}
			// The address lives in the environment alone: no context may
			// name a host of its own.
			if s.name != "globals" && (strings.Contains(l.value, "call-processor") || strings.Contains(l.value, "http://")) {
				t.Errorf("extensions.conf:%d: a processor address outside [globals]: %s", l.n, l.value)
			}
		}
	}
	for _, s := range []stack{dev, staging} {
		p := s.mustLoad(t)
		aenv := env(p.Services["asterisk"])
		for _, name := range fromEnv {
			if aenv[name] == "" {
				t.Errorf("%s: asterisk's environment lacks %s, which extensions.conf reads", s.name, name)
			}
		}
		host, port, err := net.SplitHostPort(aenv["PROCESSOR_AUDIOSOCKET"])
		if err != nil || host != "call-processor" || port != asPort {
			t.Errorf("%s: asterisk PROCESSOR_AUDIOSOCKET = %q, want call-processor:%s (AUDIOSOCKET_ADDR)", s.name, aenv["PROCESSOR_AUDIOSOCKET"], asPort)
		}
		api, err := url.Parse(aenv["PROCESSOR_API"])
		if err != nil || api.Hostname() != "call-processor" || api.Port() != httpPort {
			t.Errorf("%s: asterisk PROCESSOR_API = %q, want http://call-processor:%s (HTTP_ADDR)", s.name, aenv["PROCESSOR_API"], httpPort)
		}
		svc, ok := p.Services[host]
		if !ok || !slices.ContainsFunc(svc.Ports, func(pc types.ServicePortConfig) bool { return strconv.Itoa(int(pc.Target)) == port }) {
			t.Errorf("%s: no service %s with container port %s for Asterisk", s.name, host, port)
		}
		// Asterisk's default queue is the processor's.
		if penv := env(p.Services["call-processor"]); aenv["OPERATOR_QUEUE_DEFAULT"] != penv["OPERATOR_QUEUE_DEFAULT"] {
			t.Errorf("%s: asterisk OPERATOR_QUEUE_DEFAULT %q, call-processor's %q", s.name, aenv["OPERATOR_QUEUE_DEFAULT"], penv["OPERATOR_QUEUE_DEFAULT"])
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
	// Handing over: the queue the processor names, else the default one;
	// ringing while the caller waits; the reason and topic on the channel
	// and in the caller ID name for the operator's phone.
	call = append(call, dialplan(t, ext, "tirevoice-operator")...)
	for _, st := range []struct{ what, re string }{
		{"read the queue from what next", `^Set\(HANDOFF_OPERATOR=\$\{FILTER\(0-9A-Za-z_-,\$\{CURL\(\$\{PROCESSOR_API\}/api/v1/calls/\$\{CALL_UUID\}/next\?field=operator\)\}\)\}\)$`},
		{"read the topic from what next", `^Set\(HANDOFF_TOPIC=\$\{FILTER\(a-z,\$\{CURL\(\$\{PROCESSOR_API\}/api/v1/calls/\$\{CALL_UUID\}/next\?field=topic\)\}\)\}\)$`},
		{"pass the reason to the operator's channel", `^Set\(__TRANSFER_REASON=\$\{HANDOFF_REASON\}\)$`},
		{"pass the topic to the operator's channel", `^Set\(__TRANSFER_TOPIC=`},
		{"show the topic in the caller ID name", `^Set\(CALLERID\(name\)=\[\$\{TRANSFER_TOPIC\}\] \$\{CALLERID\(name\)\}\)$`},
		{"default to OPERATOR_QUEUE_DEFAULT, else operators", `^Set\(DEFAULT_QUEUE=\$\{IF\(\$\["\$\{OPERATOR_QUEUE_DEFAULT\}" = ""\]\?operators:\$\{OPERATOR_QUEUE_DEFAULT\}\)\}\)$`},
		{"queue in the default queue with ringing", `^Queue\(\$\{DEFAULT_QUEUE\},r,`},
		{"queue in the named queue with ringing", `^Queue\(\$\{HANDOFF_OPERATOR\},r,`},
	} {
		re := regexp.MustCompile(st.re)
		if !slices.ContainsFunc(call, re.MatchString) {
			t.Errorf("the dialplan does not %s (%s)", st.what, st.re)
		}
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

	modules := section(t, readConf(t, "modules.conf"), "modules")
	required := modules.values("require")
	for _, m := range []string{"chan_pjsip.so", "res_audiosocket.so", "app_audiosocket.so", "res_curl.so", "func_curl.so",
		"func_uuid.so", "func_strings.so", "func_uri.so", "func_callerid.so", "app_exec.so", "app_queue.so", "app_dial.so",
		"pbx_config.so", "func_logic.so", "func_env.so"} {
		if !slices.Contains(required, m) {
			t.Errorf("modules.conf does not require %s", m)
		}
	}
	// Only the listed modules load: a module without its config file
	// here would log "Unable to load config file" at every start.
	if v := modules.value("autoload"); v != "no" {
		t.Errorf("modules.conf: autoload = %q, want no (load only what this stack configures)", v)
	}
	if n := modules.values("noload"); len(n) > 0 {
		t.Errorf("modules.conf: noload %v is pointless with autoload = no", n)
	}
	// Modules removed from Asterisk by the pinned 22.x (or deprecated
	// there): naming one is an error at start-up.
	removed := []string{"chan_sip.so", "app_macro.so", "res_monitor.so", "chan_alsa.so", "chan_mgcp.so", "chan_skinny.so"}
	for _, l := range modules.lines {
		if slices.Contains(removed, l.value) {
			t.Errorf("modules.conf:%d: %s was removed from Asterisk 21/22", l.n, l.value)
		}
	}
	// The pjsip endpoints need their registrar, authenticator and media.
	loaded := append(modules.values("load"), required...)
	for _, m := range []string{"res_pjsip.so", "res_pjsip_session.so", "res_pjsip_registrar.so", "res_pjsip_authenticator_digest.so",
		"res_pjsip_endpoint_identifier_user.so", "res_pjsip_sdp_rtp.so", "res_rtp_asterisk.so", "res_sorcery_astdb.so",
		"codec_ulaw.so", "codec_alaw.so", "bridge_simple.so"} {
		if !slices.Contains(loaded, m) {
			t.Errorf("modules.conf does not load %s", m)
		}
	}

	transport := section(t, readConf(t, "pjsip.conf"), "transport-udp")
	if transport.value("protocol") != "udp" || transport.value("bind") != "0.0.0.0:5060" {
		t.Errorf("transport-udp: %s on %s, want udp on 0.0.0.0:5060", transport.value("protocol"), transport.value("bind"))
	}
}

// TestOperatorsMatchAsterisk: every seeded operator can register (a
// pjsip.conf endpoint of its extension); every queue the compose stacks
// route to exists in queues.conf, its members being the active seeded
// operators with the queue's topic as a skill (all of them for the default
// queue); and every member is an endpoint.
func TestOperatorsMatchAsterisk(t *testing.T) {
	eps := map[string]bool{}
	for _, e := range endpoints(t) {
		eps[e.name] = true
	}
	for _, op := range seed.Operators() {
		if !eps[op.Extension] {
			t.Errorf("seeded operator %s (%s) has no pjsip.conf endpoint", op.Extension, op.Name)
		}
	}

	queues := map[string][]string{}
	for _, s := range readConf(t, "queues.conf") {
		if s.name != "general" && !slices.Contains(s.templates, "!") {
			members := s.values("member")
			slices.Sort(members)
			queues[s.name] = members
		}
	}
	for q, members := range queues {
		for _, m := range members {
			if ep, ok := strings.CutPrefix(m, "PJSIP/"); !ok || !eps[ep] {
				t.Errorf("queue %s: member %q is not a pjsip.conf endpoint", q, m)
			}
		}
	}
	// want lists the endpoints of the active operators that have skill
	// ("" for any).
	want := func(skill string) []string {
		var out []string
		for _, op := range seed.Operators() {
			if op.Active && (skill == "" || slices.Contains(op.Skills, skill)) {
				out = append(out, "PJSIP/"+op.Extension)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, s := range []stack{dev, staging} {
		penv := env(s.mustLoad(t).Services["call-processor"])
		rule, err := routing.NewRule(penv["OPERATOR_QUEUE_DEFAULT"], penv["OPERATOR_QUEUES"])
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if len(rule.Queues) == 0 {
			t.Errorf("%s: OPERATOR_QUEUES routes no topic to a queue of its own", s.name)
		}
		check := func(q, skill string) {
			got, ok := queues[q]
			if !ok {
				t.Errorf("%s routes to queue %q, which queues.conf lacks", s.name, q)
				return
			}
			if w := want(skill); !slices.Equal(got, w) {
				t.Errorf("queue %s: members %v, want the active operators with skill %q: %v", q, got, skill, w)
			}
		}
		check(rule.Default, "")
		for topic, q := range rule.Queues {
			check(q, string(topic))
		}
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
