// Package admission runs objects through Knative's own defaulting and validation code the way
// the Serving and Eventing admission webhooks do (knative.dev/pkg webhook/resourcesemantics
// defaulting.mutate and validation.Admit), without a webhook server or an API server.
package admission

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/configmap"
)

// LoadConfigMaps reads every ConfigMap in the YAML files of dir: a release's defaults live in
// its module's config/core/configmaps (the files `kubectl apply` installs with Knative).
func LoadConfigMaps(dir string) ([]*corev1.ConfigMap, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []*corev1.ConfigMap
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
		for {
			var cm corev1.ConfigMap
			if err := dec.Decode(&cm); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			if cm.Kind == "ConfigMap" {
				out = append(out, &cm)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no ConfigMaps in %s", dir)
	}
	return out, nil
}

// Watcher serves fixed ConfigMaps to Knative's config stores. Unlike configmap.StaticWatcher it
// does not panic on a name the folder lacks: it reports it, so a release that drops a file
// fails the run with a message instead of a stack trace.
type Watcher struct {
	byName  map[string]*corev1.ConfigMap
	Missing []string
}

var _ configmap.Watcher = (*Watcher)(nil)

func NewWatcher(cms []*corev1.ConfigMap) *Watcher {
	w := &Watcher{byName: map[string]*corev1.ConfigMap{}}
	for _, cm := range cms {
		w.byName[cm.Name] = cm
	}
	return w
}

func (w *Watcher) Watch(name string, observers ...configmap.Observer) {
	cm, ok := w.byName[name]
	if !ok {
		w.Missing = append(w.Missing, name)
		return
	}
	for _, o := range observers {
		o(cm)
	}
}

func (w *Watcher) Start(<-chan struct{}) error { return nil }
