// Command vmop-vcsim serves govmomi's vCenter simulator (vim25, vAPI and PBM) over TLS on
// loopback, with the inventory VM Operator needs, and a small admin API for the test harness.
// It stands in for vCenter only; VM Operator talks to it exactly as to a vCenter.
//
//	vmop-vcsim --dir DIR
//
// prints one JSON line (the ready record) on stdout and into DIR/ready.json once it serves,
// then runs until SIGTERM.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	// vAPI (content library, tags, cluster modules) and PBM (storage policies) endpoints,
	// registered with the simulator by RegisterEndpoints.
	_ "github.com/vmware/govmomi/pbm/simulator"
	_ "github.com/vmware/govmomi/vapi/cluster/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

// Ready is what the launcher prints once the simulator serves.
type Ready struct {
	URL             string `json:"url"`
	Host            string `json:"host"`
	Port            string `json:"port"`
	Username        string `json:"username"`
	Password        string `json:"password"`
	CAFile          string `json:"caFile"`
	Datacenter      string `json:"datacenter"`
	Cluster         string `json:"cluster"`
	ClusterPool     string `json:"clusterPool"`
	Datastore       string `json:"datastore"`
	Network         string `json:"network"`
	NetworkName     string `json:"networkName"`
	LibraryID       string `json:"libraryId"`
	ImageItemID     string `json:"imageItemId"`
	AdminURL        string `json:"adminUrl"`
	VMFolder        string `json:"vmFolder"`
	StoragePolicyID string `json:"storagePolicyId"`
}

// NamespaceInfo is the folder and resource pool made for one Kubernetes namespace.
type NamespaceInfo struct {
	Folder string `json:"folder"`
	Pool   string `json:"pool"`
}

// PowerEvent is one power-state change as vCenter's event history records it.
type PowerEvent struct {
	VM    string    `json:"vm"`
	MoID  string    `json:"moid"`
	Event string    `json:"event"`
	Time  time.Time `json:"time"`
}

// VMState is a simulator VM's name, power state and parent folder.
type VMState struct {
	Name       string `json:"name"`
	MoID       string `json:"moid"`
	PowerState string `json:"powerState"`
	Folder     string `json:"folder"`
}

// The distributed portgroup VMs attach to, by name (VM Operator's NAMED network provider).
const networkName = "vm-network"

// vSAN Default Storage Policy of the PBM simulator.
const storagePolicyID = "aa6d5a82-1c88-45da-85d3-3d74b91a5bad"

func main() {
	dir := flag.String("dir", "", "folder for the simulator's TLS certificate and key (required)")
	webhookDir := flag.String("webhook-cert-dir", "",
		"also write a loopback serving certificate for VM Operator's webhook server here (tls.crt, tls.key)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: vmop-vcsim --dir DIR [--webhook-cert-dir DIR]")
		os.Exit(2)
	}
	// Node has no X.509 writer; the webhook server's certificate is made here as well.
	if *webhookDir != "" {
		if _, _, err := writeSelfSignedCert(*webhookDir, "tls.crt", "tls.key"); err != nil {
			log.Fatalf("vmop-vcsim: %v", err)
		}
	}
	if err := run(*dir); err != nil {
		log.Fatalf("vmop-vcsim: %v", err)
	}
}

func run(dir string) error {
	certFile, keyFile, err := writeSelfSignedCert(dir, "vcsim.crt", "vcsim.key")
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}

	// Shaped like VM Operator's own vcsim tests (test/builder/vcsim_test_context.go): one
	// cluster with its own resource pool and no standalone host, one datastore, one portgroup.
	model := simulator.VPX()
	model.Host = 0
	model.Cluster = 1
	model.ClusterHost = 2
	model.Portgroup = 1
	model.Datastore = 1
	model.Machine = 0 // no sample VMs: every VM here is one VM Operator made
	if err := model.Create(); err != nil {
		return err
	}
	model.Service.RegisterEndpoints = true
	model.Service.Listen = &url.URL{Host: "127.0.0.1:0"}
	model.Service.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	server := model.Service.NewServer()
	defer server.Close()

	ctx := context.Background()
	client, err := govmomi.NewClient(ctx, server.URL, true)
	if err != nil {
		return err
	}
	finder := find.NewFinder(client.Client)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	cluster, err := finder.DefaultClusterComputeResource(ctx)
	if err != nil {
		return err
	}
	pool, err := cluster.ResourcePool(ctx)
	if err != nil {
		return err
	}
	ds, err := finder.DefaultDatastore(ctx)
	if err != nil {
		return err
	}
	network, err := finder.Network(ctx, "DC0_DVPG0")
	if err != nil {
		return err
	}
	// VM Operator's NAMED network provider names a VM's interface <vm>-<network>-<nic> and
	// refuses names that are not DNS subdomains ("DC0_DVPG0", "VM Network"): rename the portgroup.
	renamed, err := object.NewCommon(client.Client, network.Reference()).Rename(ctx, networkName)
	if err != nil {
		return err
	}
	if err := renamed.Wait(ctx); err != nil {
		return err
	}
	libraryID, imageItemID, err := createImageLibrary(ctx, client, ds)
	if err != nil {
		return err
	}
	folders, err := dc.Folders(ctx)
	if err != nil {
		return err
	}

	admin := &admin{client: client, vmFolder: folders.VmFolder, pool: pool, namespaces: map[string]NamespaceInfo{}}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = http.Serve(listener, admin.routes()) }()

	password, _ := simulator.DefaultLogin.Password()
	ready := Ready{
		URL:             server.URL.String(),
		Host:            server.URL.Hostname(),
		Port:            server.URL.Port(),
		Username:        simulator.DefaultLogin.Username(),
		Password:        password,
		CAFile:          certFile,
		Datacenter:      dc.Reference().Value,
		Cluster:         cluster.Reference().Value,
		ClusterPool:     pool.Reference().Value,
		Datastore:       ds.Reference().Value,
		Network:         network.Reference().Value,
		NetworkName:     networkName,
		LibraryID:       libraryID,
		ImageItemID:     imageItemID,
		VMFolder:        folders.VmFolder.Reference().Value,
		AdminURL:        "http://" + listener.Addr().String(),
		StoragePolicyID: storagePolicyID,
	}
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))
	// The same record as a file, written whole (rename), for callers that log stdout to a file.
	if err := os.WriteFile(filepath.Join(dir, "ready.json.partial"), line, 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "ready.json.partial"), filepath.Join(dir, "ready.json")); err != nil {
		return err
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	return nil
}

type admin struct {
	client     *govmomi.Client
	vmFolder   *object.Folder
	pool       *object.ResourcePool
	mu         sync.Mutex
	namespaces map[string]NamespaceInfo
}

func (a *admin) routes() http.Handler {
	mux := http.NewServeMux()
	// PUT /namespaces/NAME: the folder and child resource pool VM Operator places the
	// namespace's VMs in (the Supervisor makes these when a namespace is created). Idempotent.
	mux.HandleFunc("PUT /namespaces/{name}", func(w http.ResponseWriter, r *http.Request) {
		info, err := a.namespace(r.Context(), r.PathValue("name"))
		reply(w, info, err)
	})
	// GET /power-events: every VmPoweredOnEvent / VmPoweredOffEvent in vCenter's history.
	mux.HandleFunc("GET /power-events", func(w http.ResponseWriter, r *http.Request) {
		events, err := a.powerEvents(r.Context())
		reply(w, events, err)
	})
	// GET /vms: every VM's name, power state and folder.
	mux.HandleFunc("GET /vms", func(w http.ResponseWriter, r *http.Request) {
		vms, err := a.vms(r.Context())
		reply(w, vms, err)
	})
	return mux
}

func reply(w http.ResponseWriter, body any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (a *admin) namespace(ctx context.Context, name string) (NamespaceInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if info, ok := a.namespaces[name]; ok {
		return info, nil
	}
	folder, err := a.vmFolder.CreateFolder(ctx, name)
	if err != nil {
		return NamespaceInfo{}, fmt.Errorf("folder %s: %w", name, err)
	}
	pool, err := a.pool.Create(ctx, name, types.DefaultResourceConfigSpec())
	if err != nil {
		return NamespaceInfo{}, fmt.Errorf("resource pool %s: %w", name, err)
	}
	info := NamespaceInfo{Folder: folder.Reference().Value, Pool: pool.Reference().Value}
	a.namespaces[name] = info
	return info, nil
}

func (a *admin) powerEvents(ctx context.Context) ([]PowerEvent, error) {
	filter := types.EventFilterSpec{EventTypeId: []string{"VmPoweredOnEvent", "VmPoweredOffEvent"}}
	events, err := event.NewManager(a.client.Client).QueryEvents(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := []PowerEvent{}
	for _, e := range events {
		base := e.GetEvent()
		if base.Vm == nil {
			continue
		}
		kind := "PoweredOff"
		if _, on := e.(*types.VmPoweredOnEvent); on {
			kind = "PoweredOn"
		}
		out = append(out, PowerEvent{VM: base.Vm.Name, MoID: base.Vm.Vm.Value, Event: kind, Time: base.CreatedTime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

func (a *admin) vms(ctx context.Context) ([]VMState, error) {
	vms, err := allVMs(ctx, a.client)
	if err != nil {
		return nil, err
	}
	out := []VMState{}
	for _, vm := range vms {
		state := VMState{Name: vm.Name, MoID: vm.Reference().Value, PowerState: string(vm.Runtime.PowerState)}
		if vm.Parent != nil {
			state.Folder = vm.Parent.Value
		}
		out = append(out, state)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func allVMs(ctx context.Context, client *govmomi.Client) ([]mo.VirtualMachine, error) {
	v, err := view.NewManager(client.Client).CreateContainerView(
		ctx, client.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, err
	}
	defer func() { _ = v.Destroy(ctx) }()
	var vms []mo.VirtualMachine
	err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.powerState", "parent"}, &vms)
	return vms, err
}

// writeSelfSignedCert writes a self-signed certificate for 127.0.0.1: it is its own CA bundle.
func writeSelfSignedCert(dir, certName, keyName string) (string, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	template := x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "vmop-vcsim"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, &template, &template, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}
