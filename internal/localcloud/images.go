package localcloud

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/berthdev/berth/internal/localcloud/runtime"
	"github.com/berthdev/berth/internal/localcloud/store"
)

// imagesTable holds the process images: how to run an image name as a local
// process when there is no container runtime (or no registry to pull from).
// They are a property of this machine, not of an account or a region, so
// they live in the store's unscoped partition.
const imagesTable = "berth/images"

// PutImage registers (or replaces) a process image.
func (c *Cloud) PutImage(img runtime.ProcessImage) error {
	if img.Name == "" || len(img.Command) == 0 {
		return fmt.Errorf("a process image needs a name and a command")
	}
	if !filepath.IsAbs(img.Dir) {
		return fmt.Errorf("process image %s: directory %q must be an absolute path", img.Name, img.Dir)
	}
	img.Name = runtime.NormalizeImage(img.Name)
	return c.store.UpdateUnscoped(func(tx *store.Tx) error { return tx.Put(imagesTable, img.Name, img) })
}

// Image returns the process image registered for ref, or nil.
func (c *Cloud) Image(ref string) (*runtime.ProcessImage, error) {
	var img *runtime.ProcessImage
	err := c.store.ViewUnscoped(func(tx *store.Tx) error {
		var err error
		img, err = store.Get[runtime.ProcessImage](tx, imagesTable, runtime.NormalizeImage(ref))
		return err
	})
	return img, err
}

// Images lists the registered process images.
func (c *Cloud) Images() ([]*runtime.ProcessImage, error) {
	var imgs []*runtime.ProcessImage
	err := c.store.ViewUnscoped(func(tx *store.Tx) error {
		var err error
		imgs, err = store.List[runtime.ProcessImage](tx, imagesTable)
		return err
	})
	return imgs, err
}

func (c *Cloud) handlePutImage(w http.ResponseWriter, r *http.Request) {
	if !c.guard.requireToken(w, r) {
		return
	}
	var img runtime.ProcessImage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&img); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be a JSON process image: " + err.Error()})
		return
	}
	if err := c.PutImage(img); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"image": runtime.NormalizeImage(img.Name)})
}

func (c *Cloud) handleListImages(w http.ResponseWriter, _ *http.Request) {
	imgs, err := c.Images()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"images": imgs})
}
