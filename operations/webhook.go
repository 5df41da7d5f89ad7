package operations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/meshops/meshops"
	"github.com/riverqueue/river"
)

// checkCallbackURL accepts http(s) URLs whose host is not a loopback,
// private, link-local or unspecified address (unless allowed). Names are
// checked again when connecting, so DNS cannot smuggle one in later.
func checkCallbackURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return meshops.InvalidParam("callbackUrl", "It must be an absolute http or https URL.")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if host == "localhost" || (net.ParseIP(host) != nil && !publicIP(net.ParseIP(host))) {
		return meshops.InvalidParam("callbackUrl", "It must not point to loopback or private addresses.")
	}
	return nil
}

func publicIP(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast())
}

// newWebhookClient refuses, at connect time, addresses checkCallbackURL
// refuses by name.
func newWebhookClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !publicIP(ip) {
				return fmt.Errorf("webhook to non-public address %s refused", host)
			}
			return nil
		}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, Proxy: nil}}
}

type webhookArgs struct {
	OperationID string `json:"operationId"`
}

func (webhookArgs) Kind() string { return "meshops.webhook" }

type webhookWorker struct {
	river.WorkerDefaults[webhookArgs]
	e *Engine
}

// Work POSTs the operation resource, signed; any failure or non-2xx answer
// is retried by the queue with its exponential backoff.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[webhookArgs]) error {
	op, err := w.e.meta.GetOperation(ctx, job.Args.OperationID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(NewResource(op))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, op.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(err) // an unusable URL will never work
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "meshops-webhook/1")
	req.Header.Set("X-Meshops-Event", "operation."+string(op.Status))
	req.Header.Set("X-Meshops-Delivery", strconv.FormatInt(job.ID, 10))
	req.Header.Set("X-Meshops-Signature", "sha256="+Sign(w.e.cfg.WebhookSecret, body))
	res, err := w.e.hooks.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s answered %d", op.CallbackURL, res.StatusCode)
	}
	return nil
}

// Sign is the webhook signature: hex HMAC-SHA256 of the body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
