// Package routing answers which Triggers Knative's Broker filter delivers an event to, with
// Knative's own code: the event parsed from HTTP by the CloudEvents SDK as the filter's handler
// parses it, and each Trigger's filter chosen as its filterEvent does (knative.dev/eventing
// pkg/broker/filter/filter_handler.go): `filters` (SubscriptionsAPI) when present, else
// `filter.attributes`, else none. A Trigger passes unless its filter fails.
package routing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"knative.dev/pkg/logging"

	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	"knative.dev/eventing/pkg/eventfilter"
	"knative.dev/eventing/pkg/eventfilter/attributes"
	"knative.dev/eventing/pkg/eventfilter/subscriptionsapi"
)

// Sample is one event as an HTTP message (ce- headers and Content-Type, binary mode; or a
// structured-mode body).
type Sample struct {
	Name    string            `json:"name"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body,omitempty"`
}

// Routed names the Triggers an event reaches, in the order the Triggers were given; Error is
// set (and Triggers empty) when the filter's handler would refuse the message (400).
type Routed struct {
	Event    string   `json:"event"`
	Triggers []string `json:"triggers"`
	Error    string   `json:"error,omitempty"`
}

func Route(ctx context.Context, triggerDocs [][]byte, samplesJSON []byte) ([]Routed, error) {
	var triggers []eventingv1.Trigger
	for _, doc := range triggerDocs {
		var t eventingv1.Trigger
		if err := json.Unmarshal(doc, &t); err != nil {
			return nil, err
		}
		if t.Kind == "Trigger" {
			triggers = append(triggers, t)
		}
	}
	var samples []Sample
	if err := json.Unmarshal(samplesJSON, &samples); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	out := make([]Routed, 0, len(samples))
	for _, s := range samples {
		r := Routed{Event: s.Name, Triggers: []string{}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://broker-filter/", bytes.NewReader([]byte(s.Body)))
		if err != nil {
			return nil, err
		}
		for k, v := range s.Headers {
			req.Header.Set(k, v)
		}
		event, err := cehttp.NewEventFromHTTPRequest(req)
		// The ingress refuses an invalid event before it reaches the filter.
		if err == nil {
			err = event.Validate()
		}
		if err != nil {
			r.Error = err.Error()
			out = append(out, r)
			continue
		}
		for i := range triggers {
			if filterResult(ctx, &triggers[i], event) != eventfilter.FailFilter {
				r.Triggers = append(r.Triggers, triggers[i].Name)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func filterResult(ctx context.Context, t *eventingv1.Trigger, e *event.Event) eventfilter.FilterResult {
	switch {
	case len(t.Spec.Filters) > 0:
		// Not Cleanup()'d: a `not` around a filter Knative skips (an empty exact value) panics
		// there in v0.50.0 (nil inner filter), and this process is short-lived anyway.
		f := subscriptionsapi.CreateSubscriptionsAPIFilters(logging.FromContext(ctx).Desugar(), t.Spec.Filters)
		return f.Filter(ctx, *e)
	case t.Spec.Filter != nil:
		return attributes.NewAttributesFilter(t.Spec.Filter.Attributes).Filter(ctx, *e)
	default:
		return eventfilter.NoFilter
	}
}
