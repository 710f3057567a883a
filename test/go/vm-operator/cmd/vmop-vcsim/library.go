package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25/soap"
)

// imageOVF is the smallest OVF VM Operator deploys: one virtual system, 1 vCPU, 512 MiB, no
// disks (a simulated VM boots without one). Written for this launcher.
const imageOVF = `<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData">
  <References/>
  <VirtualSystem ovf:id="vmop-image">
    <Info>A virtual machine</Info>
    <Name>vmop-image</Name>
    <OperatingSystemSection ovf:id="36">
      <Info>The operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>vmop-image</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>1 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>512MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>512</rasd:VirtualQuantity>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`

// createImageLibrary makes a local content library on the datastore holding one OVF item, as
// VM Operator's own vcsim tests do; VM Operator deploys VMs only from content-library items.
func createImageLibrary(ctx context.Context, client *govmomi.Client, ds *object.Datastore) (string, string, error) {
	rc := rest.NewClient(client.Client)
	if err := rc.Login(ctx, simulator.DefaultLogin); err != nil {
		return "", "", err
	}
	m := library.NewManager(rc)
	libID, err := m.CreateLibrary(ctx, library.Library{
		Name:    "vmop-images",
		Type:    "LOCAL",
		Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}},
	})
	if err != nil {
		return "", "", fmt.Errorf("library: %w", err)
	}
	itemID, err := m.CreateLibraryItem(ctx, library.Item{Name: "vmop-image", Type: library.ItemTypeOVF, LibraryID: libID})
	if err != nil {
		return "", "", fmt.Errorf("library item: %w", err)
	}
	session, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: itemID})
	if err != nil {
		return "", "", err
	}
	body := []byte(imageOVF)
	update, err := m.AddLibraryItemFile(ctx, session, library.UpdateFile{Name: "vmop-image.ovf", SourceType: "PUSH", Size: int64(len(body))})
	if err != nil {
		return "", "", err
	}
	u, err := url.Parse(update.UploadEndpoint.URI)
	if err != nil {
		return "", "", err
	}
	p := soap.DefaultUpload
	p.ContentLength = int64(len(body))
	if err := m.Client.Upload(ctx, bytes.NewReader(body), u, &p); err != nil {
		return "", "", fmt.Errorf("upload: %w", err)
	}
	if err := m.CompleteLibraryItemUpdateSession(ctx, session); err != nil {
		return "", "", err
	}
	return libID, itemID, nil
}
