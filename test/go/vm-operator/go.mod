// Builds VM Operator's manager (its main package is the module root) and our vCenter
// simulator launcher in one go build. See README.md.
module velero-vmgroup-functions.test/go/vm-operator

go 1.24.13

tool github.com/vmware-tanzu/vm-operator

require (
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/blang/semver/v4 v4.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/davecgh/go-spew v1.1.2-0.20180830191138-d8f796af33cc // indirect
	github.com/emicklei/go-restful/v3 v3.12.2 // indirect
	github.com/evanphx/json-patch/v5 v5.9.11 // indirect
	github.com/fsnotify/fsnotify v1.9.0 // indirect
	github.com/fxamacker/cbor/v2 v2.9.0 // indirect
	github.com/go-logr/logr v1.4.2 // indirect
	github.com/go-logr/zapr v1.3.0 // indirect
	github.com/go-openapi/jsonpointer v0.21.0 // indirect
	github.com/go-openapi/jsonreference v0.20.2 // indirect
	github.com/go-openapi/swag v0.23.0 // indirect
	github.com/go-pkgz/expirable-cache/v3 v3.1.0 // indirect
	github.com/gogo/protobuf v1.3.2 // indirect
	github.com/google/btree v1.1.3 // indirect
	github.com/google/gnostic-models v0.7.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/josharian/intern v1.0.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/mailru/easyjson v0.7.7 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.3-0.20250322232337-35a7c28c31ee // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/onsi/gomega v1.36.3 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/prometheus/client_golang v1.22.0 // indirect
	github.com/prometheus/client_model v0.6.1 // indirect
	github.com/prometheus/common v0.62.0 // indirect
	github.com/prometheus/procfs v0.15.1 // indirect
	github.com/spf13/cobra v1.9.1 // indirect
	github.com/spf13/pflag v1.0.6 // indirect
	github.com/vmware-tanzu/image-registry-operator-api v0.0.0-20250624211456-dfc90459c658 // indirect
	github.com/vmware-tanzu/net-operator-api v0.0.0-20250826165015-90a4bb21727b // indirect
	github.com/vmware-tanzu/nsx-operator/pkg/apis v0.0.0-20250813103855-288a237381b5 // indirect
	github.com/vmware-tanzu/vm-operator v1.10.0 // indirect
	github.com/vmware-tanzu/vm-operator/api v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/appplatform v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/byok v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/capabilities v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/infra v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/ncp v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/storage-policy-quota v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/tanzu-topology v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/vsphere-csi-driver v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/external/vsphere-policy v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware-tanzu/vm-operator/pkg/backup/api v0.0.0-00010101000000-000000000000 // indirect
	github.com/vmware/govmomi v0.53.0-alpha.0.0.20260317210055-e2554e7565cc // indirect
	github.com/x448/float16 v0.8.4 // indirect
	go.opentelemetry.io/otel v1.35.0 // indirect
	go.opentelemetry.io/otel/trace v1.35.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.0 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	go.yaml.in/yaml/v3 v3.0.4 // indirect
	golang.org/x/exp v0.0.0-20240719175910-8a7402abbf56 // indirect
	golang.org/x/net v0.49.0 // indirect
	golang.org/x/oauth2 v0.27.0 // indirect
	golang.org/x/sync v0.19.0 // indirect
	golang.org/x/sys v0.40.0 // indirect
	golang.org/x/term v0.39.0 // indirect
	golang.org/x/text v0.34.0 // indirect
	golang.org/x/time v0.9.0 // indirect
	golang.org/x/tools v0.41.0 // indirect
	gomodules.xyz/jsonpatch/v2 v2.4.0 // indirect
	google.golang.org/protobuf v1.36.5 // indirect
	gopkg.in/evanphx/json-patch.v4 v4.12.0 // indirect
	gopkg.in/inf.v0 v0.9.1 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
	k8s.io/api v0.34.1 // indirect
	k8s.io/apiextensions-apiserver v0.34.1 // indirect
	k8s.io/apimachinery v0.34.1 // indirect
	k8s.io/client-go v0.34.1 // indirect
	k8s.io/component-base v0.34.1 // indirect
	k8s.io/component-helpers v0.33.0 // indirect
	k8s.io/klog/v2 v2.130.1 // indirect
	k8s.io/kube-openapi v0.0.0-20250710124328-f3f2b991d03b // indirect
	k8s.io/utils v0.0.0-20250604170112-4c0f3b243397 // indirect
	sigs.k8s.io/controller-runtime v0.22.3 // indirect
	sigs.k8s.io/json v0.0.0-20241014173422-cfa47c3a1cc8 // indirect
	sigs.k8s.io/randfill v1.0.0 // indirect
	sigs.k8s.io/structured-merge-diff/v6 v6.3.0 // indirect
	sigs.k8s.io/yaml v1.6.0 // indirect
	velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy v0.0.0 // indirect
)

replace (
	// The api module is its own module, published at api/v1.10.0.
	github.com/vmware-tanzu/vm-operator/api => github.com/vmware-tanzu/vm-operator/api v1.10.0
	// Nested modules that are neither tagged nor in the module zip: written here by hand.
	github.com/vmware-tanzu/vm-operator/external/appplatform => ../vm-operator-external-apis/appplatform
	github.com/vmware-tanzu/vm-operator/external/byok => ../vm-operator-external-apis/byok
	github.com/vmware-tanzu/vm-operator/external/capabilities => ../vm-operator-external-apis/capabilities
	github.com/vmware-tanzu/vm-operator/external/infra => ../vm-operator-external-apis/infra
	github.com/vmware-tanzu/vm-operator/external/ncp => ../vm-operator-external-apis/ncp
	github.com/vmware-tanzu/vm-operator/external/storage-policy-quota => ../vm-operator-external-apis/storage-policy-quota
	github.com/vmware-tanzu/vm-operator/external/tanzu-topology => ../vm-operator-external-apis/tanzu-topology
	github.com/vmware-tanzu/vm-operator/external/vsphere-csi-driver => ../vm-operator-external-apis/vsphere-csi-driver
	github.com/vmware-tanzu/vm-operator/external/vsphere-policy => ../vm-operator-external-apis/vsphere-policy
	github.com/vmware-tanzu/vm-operator/pkg/backup/api => ../vm-operator-external-apis/backup-api
	github.com/vmware-tanzu/vm-operator/pkg/constants/testlabels => ../vm-operator-external-apis/testlabels
	// v1.10.0 pins a govmomi pseudo-version the module proxy does not serve; v0.53.0 is.
	github.com/vmware/govmomi => github.com/vmware/govmomi v0.53.0
	velero-vmgroup-functions.test/go/vm-operator-external-apis/jsoncopy => ../vm-operator-external-apis/jsoncopy
)
