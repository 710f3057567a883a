// knative-admission runs Kubernetes objects through Knative's own admission code: each Knative
// object is defaulted and validated as the Serving and Eventing webhooks would on a create, and
// again as an update re-applying the same manifest. With --routes it also prints how Knative's
// Broker filter routes sample events to Triggers.
//
//	knative-admission --serving-config DIR --eventing-config DIR [FILE...]     (stdin if none)
//	knative-admission --routes --triggers FILE --events FILE
//
// Exit status: 0 all admitted, 1 some object refused, 2 usage or setup error.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"knative.dev/pkg/logging"

	"velero-vmgroup-functions/test/go/knative/internal/admission"
	"velero-vmgroup-functions/test/go/knative/internal/routing"
)

func main() {
	servingDir := flag.String("serving-config", "", "knative.dev/serving's config/core/configmaps folder")
	eventingDir := flag.String("eventing-config", "", "knative.dev/eventing's config/core/configmaps folder")
	routes := flag.Bool("routes", false, "print the Broker filter's routing of --events to --triggers")
	triggers := flag.String("triggers", "", "with --routes: YAML or JSON stream holding Triggers")
	events := flag.String("events", "", "with --routes: JSON array of {name, headers} sample events")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: %s --serving-config DIR --eventing-config DIR [FILE...]\n"+
			"       %s --routes --triggers FILE --events FILE\n", os.Args[0], os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	// Knative logs at info for every admitted object and warns for every filter it skips; the
	// verdicts carry what matters.
	logger, _ := zap.NewProduction(zap.IncreaseLevel(zap.ErrorLevel))
	ctx := logging.WithLogger(context.Background(), logger.Sugar())
	var code int
	var err error
	if *routes {
		code, err = runRoutes(ctx, *triggers, *events)
	} else {
		code, err = runAdmission(ctx, *servingDir, *eventingDir, flag.Args())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "knative-admission:", err)
	}
	os.Exit(code)
}

func runAdmission(ctx context.Context, servingDir, eventingDir string, files []string) (int, error) {
	if servingDir == "" || eventingDir == "" {
		flag.Usage()
		return 2, errors.New("--serving-config and --eventing-config are required")
	}
	hooks, err := webhooks(ctx, servingDir, eventingDir)
	if err != nil {
		return 2, err
	}
	objects, err := readObjects(files)
	if err != nil {
		return 2, err
	}
	refused := 0
	enc := json.NewEncoder(os.Stdout)
	for _, raw := range objects {
		res := admission.Check(ctx, hooks, raw)
		if len(res.Errors) > 0 {
			refused++
		}
		if err := enc.Encode(res); err != nil {
			return 2, err
		}
	}
	if refused > 0 {
		return 1, fmt.Errorf("%d of %d objects refused", refused, len(objects))
	}
	return 0, nil
}

func webhooks(ctx context.Context, servingDir, eventingDir string) ([]admission.Webhook, error) {
	servingCMs, err := admission.LoadConfigMaps(servingDir)
	if err != nil {
		return nil, err
	}
	eventingCMs, err := admission.LoadConfigMaps(eventingDir)
	if err != nil {
		return nil, err
	}
	serving, err := admission.Serving(ctx, admission.NewWatcher(servingCMs))
	if err != nil {
		return nil, err
	}
	eventing, err := admission.Eventing(ctx, admission.NewWatcher(eventingCMs))
	if err != nil {
		return nil, err
	}
	return []admission.Webhook{serving, eventing}, nil
}

// readObjects splits YAML or JSON streams into one JSON document per object.
func readObjects(files []string) ([][]byte, error) {
	var inputs [][]byte
	if len(files) == 0 {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, b)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, b)
	}
	var out [][]byte
	for _, in := range inputs {
		docs, err := splitStream(in)
		if err != nil {
			return nil, err
		}
		out = append(out, docs...)
	}
	return out, nil
}

func splitStream(in []byte) ([][]byte, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(in), 4096)
	var out [][]byte
	for {
		var doc json.RawMessage
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(doc) > 0 && string(doc) != "null" {
			out = append(out, doc)
		}
	}
}

func runRoutes(ctx context.Context, triggersFile, eventsFile string) (int, error) {
	if triggersFile == "" || eventsFile == "" {
		flag.Usage()
		return 2, errors.New("--routes needs --triggers and --events")
	}
	raw, err := os.ReadFile(triggersFile)
	if err != nil {
		return 2, err
	}
	docs, err := splitStream(raw)
	if err != nil {
		return 2, err
	}
	samples, err := os.ReadFile(eventsFile)
	if err != nil {
		return 2, err
	}
	out, err := routing.Route(ctx, docs, samples)
	if err != nil {
		return 2, err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return 0, enc.Encode(out)
}
