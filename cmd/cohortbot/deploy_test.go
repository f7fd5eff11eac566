package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"cohortbot/internal/config"
	"cohortbot/internal/metrics"
)

// No Docker engine or Kubernetes API in CI: these tests check the packaging files
// structurally — the YAML parses, the manifests keep the promises the README makes, and
// every variable they set is one the bot reads.

const repoRoot = "../.."

type doc = map[string]any

func readYAML(t *testing.T, path string) []doc {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []doc
	for {
		var d doc
		if err := dec.Decode(&d); err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, d)
	}
}

// at walks a parsed YAML document: at(d, "spec", "template", 0, "name").
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(doc)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func checkEnvNames(t *testing.T, where string, env any) {
	t.Helper()
	list, _ := env.([]any)
	for _, e := range list {
		name, _ := at(e, "name").(string)
		if !config.Known(name) {
			t.Errorf("%s sets %s, which the bot does not read", where, name)
		}
	}
}

// checkPod holds every bot pod template to the operations rules.
func checkPod(t *testing.T, file string, d doc) {
	t.Helper()
	spec := at(d, "spec", "template", "spec")
	if at(spec, "securityContext", "runAsNonRoot") != true || at(spec, "securityContext", "runAsUser") != 65532 {
		t.Errorf("%s: pod must run as non-root 65532", file)
	}
	if g, _ := at(spec, "terminationGracePeriodSeconds").(int); time.Duration(g)*time.Second <= config.DefaultShutdownTimeout &&
		at(d, "kind") != "Job" {
		t.Errorf("%s: terminationGracePeriodSeconds %d must exceed the shutdown timeout", file, g)
	}
	c := at(spec, "containers", 0)
	if at(c, "securityContext", "readOnlyRootFilesystem") != true || at(c, "securityContext", "allowPrivilegeEscalation") != false {
		t.Errorf("%s: container needs a read-only root filesystem and no privilege escalation", file)
	}
	if at(c, "resources", "requests", "cpu") == nil || at(c, "resources", "requests", "memory") == nil {
		t.Errorf("%s: container needs resource requests", file)
	}
	checkEnvNames(t, file, at(c, "env"))
	// Every *_FILE points into a mounted secret whose items include that file.
	mounts := map[string]string{} // mount path → volume
	for _, m := range at(c, "volumeMounts").([]any) {
		mounts[at(m, "mountPath").(string)] = at(m, "name").(string)
	}
	items := map[string]bool{} // volume/path
	for _, v := range at(spec, "volumes").([]any) {
		if list, ok := at(v, "secret", "items").([]any); ok {
			for _, it := range list {
				items[at(v, "name").(string)+"/"+at(it, "path").(string)] = true
			}
		}
	}
	envs, _ := at(c, "env").([]any)
	for _, e := range envs {
		name, _ := at(e, "name").(string)
		value, _ := at(e, "value").(string)
		if !strings.HasSuffix(name, "_FILE") {
			continue
		}
		dir, base := filepath.Split(value)
		if !items[mounts[strings.TrimSuffix(dir, "/")]+"/"+base] {
			t.Errorf("%s: %s=%s is not a mounted secret item", file, name, value)
		}
	}
	if at(d, "kind") == "Job" {
		return
	}
	if at(c, "livenessProbe", "httpGet", "path") != "/healthz" || at(c, "readinessProbe", "httpGet", "path") != "/readyz" {
		t.Errorf("%s: probes must be /healthz (liveness) and /readyz (readiness)", file)
	}
	if at(c, "ports", 0, "name") != "http" || at(c, "ports", 0, "containerPort") != 8080 {
		t.Errorf("%s: the container must expose port 8080 named http", file)
	}
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	secret := readYAML(t, "deploy/kubernetes/secret.example.yaml")[0]
	keys := at(secret, "stringData").(doc)
	kinds := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "deploy/kubernetes/*.yaml"))
	for _, path := range files {
		name := filepath.Base(path)
		for _, d := range readYAML(t, "deploy/kubernetes/"+name) {
			kind, _ := at(d, "kind").(string)
			kinds[kind] = true
			switch kind {
			case "Deployment":
				if at(d, "spec", "replicas") != 2 {
					t.Errorf("%s: want 2 replicas", name)
				}
				checkPod(t, name, d)
			case "StatefulSet", "Job":
				checkPod(t, name, d)
			case "Kustomization":
				for _, r := range at(d, "resources").([]any) {
					if _, err := os.Stat(filepath.Join(repoRoot, "deploy/kubernetes", r.(string))); err != nil {
						t.Errorf("%s lists %v: %v", name, r, err)
					}
				}
			case "Service":
				if at(d, "spec", "ports", 0, "targetPort") != "http" {
					t.Errorf("%s: target the container's http port", name)
				}
			}
			if kind == "Deployment" || kind == "StatefulSet" || kind == "Job" {
				for _, v := range at(d, "spec", "template", "spec", "volumes").([]any) {
					items, _ := at(v, "secret", "items").([]any)
					for _, it := range items {
						if _, ok := keys[at(it, "key").(string)]; !ok {
							t.Errorf("%s mounts secret key %v, which secret.example.yaml lacks", name, at(it, "key"))
						}
					}
				}
			}
		}
	}
	for _, k := range []string{"Deployment", "StatefulSet", "Service", "Secret", "Job", "Kustomization"} {
		if !kinds[k] {
			t.Errorf("deploy/kubernetes has no %s", k)
		}
	}
	if job := readYAML(t, "deploy/kubernetes/migrate-job.yaml")[0]; fmt.Sprint(at(job, "spec", "template", "spec", "containers", 0, "args")) != "[migrate up]" {
		t.Errorf("the Job must run migrate up")
	}
}

func TestDockerCompose(t *testing.T) {
	t.Parallel()
	c := readYAML(t, "deploy/docker-compose.yml")[0]
	if at(c, "services", "migrate", "depends_on", "db", "condition") != "service_healthy" ||
		at(c, "services", "bot", "depends_on", "migrate", "condition") != "service_completed_successfully" {
		t.Error("compose must run db → migrate → bot in order")
	}
	if fmt.Sprint(at(c, "services", "bot", "env_file")) != "[.env]" {
		t.Error("the bot's secrets come from deploy/.env")
	}
	for _, svc := range []string{"migrate", "bot"} {
		env, _ := at(c, "services", svc, "environment").(doc)
		for name := range env {
			if !config.Known(name) {
				t.Errorf("compose %s sets %s, which the bot does not read", svc, name)
			}
		}
	}
	f, err := os.Open(filepath.Join(repoRoot, "deploy/.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "=")
		if name != "POSTGRES_PASSWORD" && !config.Known(name) {
			t.Errorf(".env.example sets %s, which the bot does not read", name)
		}
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "FROM gcr.io/distroless/static", "USER 65532:65532",
		`HEALTHCHECK`, `CMD ["/usr/local/bin/cohortbot", "healthcheck"]`, "EXPOSE 8080", "-X main.version="} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestReadmeDocumentsOperations: the configuration table has a row for every variable
// the bot reads, and the Operations section names every metric it exports.
func TestReadmeDocumentsOperations(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	rows := regexp.MustCompile("(?m)^\\| .*`([A-Z_]+)`").FindAllString(readme, -1)
	table := strings.Join(rows, "\n")
	for _, v := range config.Variables {
		if !strings.Contains(table, "`"+v.Name+"`") {
			t.Errorf("README's configuration table has no row for %s", v.Name)
		}
	}
	i := strings.Index(readme, "## Operations")
	if i < 0 {
		t.Fatal("README has no ## Operations section")
	}
	ops := readme[i:]
	m := metrics.New("test", nil)
	m.Platform("discord")
	m.WatchOutbox(func(context.Context) (int64, error) { return 0, nil })
	m.WatchReconnects("discord", func() uint64 { return 0 })
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if name := f.GetName(); strings.HasPrefix(name, "cohortbot_") && !strings.Contains(ops, name) {
			t.Errorf("README's Operations section does not mention %s", name)
		}
	}
	for _, want := range []string{"/healthz", "/readyz", "/metrics", "--check-config", "cohortbot cohort export", "migrate up", "_FILE", "replicas"} {
		if !strings.Contains(ops, want) {
			t.Errorf("README's Operations section does not mention %s", want)
		}
	}
}
