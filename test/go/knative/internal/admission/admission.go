package admission

import (
	"context"
	"encoding/json"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	kjson "knative.dev/pkg/webhook/json"
	"knative.dev/pkg/webhook/resourcesemantics"
)

// Webhook is one admission webhook's view: the kinds it handles, whether it decodes strictly,
// the context decorators its defaulting and validation controllers install, and the extra
// validation callbacks it runs on the unstructured object.
type Webhook struct {
	Name                  string
	Types                 map[schema.GroupVersionKind]resourcesemantics.GenericCRD
	DisallowUnknownFields bool
	DefaultingContext     func(context.Context) context.Context
	ValidationContext     func(context.Context) context.Context
	Callbacks             map[schema.GroupVersionKind]func(context.Context, *unstructured.Unstructured) error
}

// Result of one object's create and re-apply.
type Result struct {
	Object   string   `json:"object"`
	Webhook  string   `json:"webhook,omitempty"`
	Skipped  string   `json:"skipped,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Defaulted is the object as stored after the create (the defaulting webhook's patch applied).
	Defaulted json.RawMessage `json:"defaulted,omitempty"`
}

// The user the API server would name in the AdmissionRequest; Serving stamps it into the
// creator/lastModifier annotations, so the update below comes from the same user.
var admin = authenticationv1.UserInfo{
	Username: "kubernetes-admin",
	Groups:   []string{"system:masters", "system:authenticated"},
}

// Check admits raw (one object, JSON) as a create and then, against what the create stored, as
// an update carrying the same manifest again (a `kubectl apply` of an unchanged file).
func Check(ctx context.Context, hooks []Webhook, raw []byte) Result {
	var meta unstructured.Unstructured
	if err := json.Unmarshal(raw, &meta.Object); err != nil {
		return Result{Object: "?", Errors: []string{err.Error()}}
	}
	gvk := meta.GroupVersionKind()
	res := Result{Object: describe(&meta)}
	hook, handler := find(hooks, gvk)
	if hook == nil {
		res.Skipped = "no Knative webhook handles " + gvk.String()
		return res
	}
	res.Webhook = hook.Name

	stored, err := admit(ctx, hook, handler, gvk, raw, nil, &res)
	if err != nil {
		res.Errors = append(res.Errors, "create: "+err.Error())
		return res
	}
	res.Defaulted = stored
	// The re-apply: the stored object's server-set metadata, the manifest's content.
	if _, err := admit(ctx, hook, handler, gvk, reapplied(raw, stored), stored, &res); err != nil {
		res.Errors = append(res.Errors, "update: "+err.Error())
	}
	return res
}

func find(hooks []Webhook, gvk schema.GroupVersionKind) (*Webhook, resourcesemantics.GenericCRD) {
	for i := range hooks {
		if h, ok := hooks[i].Types[gvk]; ok {
			return &hooks[i], h
		}
	}
	return nil, nil
}

// admit runs the defaulting webhook then the validation webhook on newRaw (oldRaw nil: create)
// and returns the object the API server would store.
func admit(ctx context.Context, hook *Webhook, handler resourcesemantics.GenericCRD,
	gvk schema.GroupVersionKind, newRaw, oldRaw []byte, res *Result) ([]byte, error) {
	defaulted, err := defaulting(ctx, hook, handler, gvk.Group, newRaw, oldRaw)
	if err != nil {
		return nil, fmt.Errorf("mutation failed: %w", err)
	}
	if err := validation(ctx, hook, handler, gvk, defaulted, oldRaw, res); err != nil {
		return nil, err
	}
	return defaulted, nil
}

func decode(handler resourcesemantics.GenericCRD, raw []byte, strict bool) (resourcesemantics.GenericCRD, error) {
	obj := handler.DeepCopyObject().(resourcesemantics.GenericCRD)
	if err := kjson.Decode(raw, obj, strict); err != nil {
		return nil, err
	}
	return obj, nil
}

// defaulting mirrors defaulting.reconciler.mutate: strict decode of both objects, the old one
// defaulted too, the context marked create or update, then SetDefaults. Its JSON patch (the
// round trip through the Go type, then the defaults) applied to the request is the Go object
// marshalled, which is what is returned.
func defaulting(ctx context.Context, hook *Webhook, handler resourcesemantics.GenericCRD,
	group string, newRaw, oldRaw []byte) ([]byte, error) {
	ctx = hook.DefaultingContext(ctx)
	newObj, err := decode(handler, newRaw, hook.DisallowUnknownFields)
	if err != nil {
		return nil, fmt.Errorf("cannot decode incoming new object: %w", err)
	}
	if oldRaw != nil {
		oldObj, err := decode(handler, oldRaw, hook.DisallowUnknownFields)
		if err != nil {
			return nil, fmt.Errorf("cannot decode incoming old object: %w", err)
		}
		// Upstream also stamps user info on the old copy here, before the context carries a
		// user, so that step changes nothing and is left out.
		oldObj.SetDefaults(ctx)
		ctx = apis.WithinUpdate(ctx, oldObj)
	} else {
		ctx = apis.WithinCreate(ctx)
	}
	ctx = apis.WithUserInfo(ctx, &admin)
	newObj.SetDefaults(ctx)
	if s, ok := newObj.(apis.HasSpec); ok {
		setUserInfo(ctx, s, group)
	}
	return json.Marshal(newObj)
}

// validation mirrors validation.reconciler.Admit: strict decode, context, Validate split into
// errors and warnings, then the webhook's callback for the kind.
func validation(ctx context.Context, hook *Webhook, handler resourcesemantics.GenericCRD,
	gvk schema.GroupVersionKind, newRaw, oldRaw []byte, res *Result) error {
	ctx = hook.ValidationContext(ctx)
	newObj, err := decode(handler, newRaw, hook.DisallowUnknownFields)
	if err != nil {
		return fmt.Errorf("decoding request failed: cannot decode incoming new object: %w", err)
	}
	ctx = apis.WithUserInfo(ctx, &admin)
	if oldRaw != nil {
		oldObj, err := decode(handler, oldRaw, hook.DisallowUnknownFields)
		if err != nil {
			return fmt.Errorf("decoding request failed: cannot decode incoming old object: %w", err)
		}
		ctx = apis.WithinUpdate(ctx, oldObj)
	} else {
		ctx = apis.WithinCreate(ctx)
	}
	if fe := newObj.Validate(ctx); fe != nil {
		if w := fe.Filter(apis.WarningLevel); w != nil {
			for _, e := range w.WrappedErrors() {
				res.Warnings = append(res.Warnings, e.Error())
			}
		}
		if e := fe.Filter(apis.ErrorLevel); e != nil {
			return fmt.Errorf("validation failed: %w", e)
		}
	}
	if cb, ok := hook.Callbacks[gvk]; ok {
		var u unstructured.Unstructured
		if err := json.Unmarshal(newRaw, &u.Object); err != nil {
			return fmt.Errorf("validation callback failed: %w", err)
		}
		if err := cb(ctx, &u); err != nil {
			return fmt.Errorf("validation callback failed: %w", err)
		}
	}
	return nil
}

// reapplied is the manifest again with the server-owned metadata of what was stored (uid,
// resourceVersion, generation, the creator annotations Serving added), as an apply sends it.
func reapplied(manifest, stored []byte) []byte {
	var m, s map[string]any
	_ = json.Unmarshal(manifest, &m)
	_ = json.Unmarshal(stored, &s)
	mm, _ := m["metadata"].(map[string]any)
	sm, _ := s["metadata"].(map[string]any)
	if mm == nil || sm == nil {
		return manifest
	}
	if sa, ok := sm["annotations"].(map[string]any); ok {
		ma, _ := mm["annotations"].(map[string]any)
		if ma == nil {
			ma = map[string]any{}
		}
		for k, v := range sa {
			if _, set := ma[k]; !set {
				ma[k] = v
			}
		}
		mm["annotations"] = ma
	}
	out, _ := json.Marshal(m)
	return out
}

func describe(u *unstructured.Unstructured) string {
	ns := u.GetNamespace()
	if ns != "" {
		ns += "/"
	}
	return fmt.Sprintf("%s %s%s", u.GroupVersionKind().GroupKind().String(), ns, u.GetName())
}

// setUserInfo is what defaulting's setUserInfoAnnotations does (unexported upstream): the
// creator and last modifier, by API group, on a create; the modifier on an update that changes
// the spec.
func setUserInfo(ctx context.Context, obj apis.HasSpec, group string) {
	ui := apis.GetUserInfo(ctx)
	accessor, ok := obj.(metav1.ObjectMetaAccessor)
	if ui == nil || !ok {
		return
	}
	meta := accessor.GetObjectMeta()
	annotations := meta.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	updater, creator := apis.UpdaterAnnotationSuffix[1:], apis.CreatorAnnotationSuffix[1:]
	if group != "" {
		updater, creator = group+apis.UpdaterAnnotationSuffix, group+apis.CreatorAnnotationSuffix
	}
	if apis.IsInUpdate(ctx) {
		old := apis.GetBaseline(ctx).(apis.HasSpec)
		if equality.Semantic.DeepEqual(old.GetUntypedSpec(), obj.GetUntypedSpec()) {
			return
		}
		annotations[updater] = ui.Username
	} else {
		annotations[creator] = ui.Username
		annotations[updater] = ui.Username
	}
	meta.SetAnnotations(annotations)
}
