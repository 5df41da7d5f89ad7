package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/meshops/meshops"
	"github.com/meshops/meshops/operations"
)

func (s *Server) operationRoutes(v1 *gin.RouterGroup) {
	v1.POST("/operations/:type", s.submitOperation)
	v1.GET("/operations", s.listOperations)
	v1.GET("/operations/:type", s.getOperation) // :type is the id here (gin needs one name per segment)
	v1.GET("/operations/:type/result", s.operationResult)
	v1.GET("/operations/:type/events", s.operationEvents)
	v1.DELETE("/operations/:type", s.cancelOperation)
}

func (s *Server) submitOperation(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, s.Config.MaxJSONBytes+1))
	if err != nil {
		c.Error(meshops.InvalidParam("body", "The request body could not be read."))
		return
	}
	if int64(len(body)) > s.Config.MaxJSONBytes {
		c.Error(meshops.InvalidParam("body", fmt.Sprintf("JSON bodies are limited to %d bytes.", s.Config.MaxJSONBytes)).WithStatus(http.StatusRequestEntityTooLarge))
		return
	}
	sub, err := s.Engine.Submit(c.Request.Context(), callerKey(c), c.Param("type"), body, c.GetHeader("Idempotency-Key"))
	if err != nil {
		c.Error(err)
		return
	}
	c.Header("Location", "/api/v1/operations/"+sub.Op.ID)
	if sub.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.PureJSON(http.StatusAccepted, operations.NewResource(sub.Op))
}

func (s *Server) listOperations(c *gin.Context) {
	page, err := pageParams(c)
	if err != nil {
		c.Error(err)
		return
	}
	f := meshops.OperationFilter{Status: meshops.OperationStatus(c.Query("status")), Type: c.Query("type"), FileID: c.Query("fileId")}
	switch f.Status {
	case "", meshops.StatusQueued, meshops.StatusRunning, meshops.StatusSucceeded, meshops.StatusFailed, meshops.StatusCanceled:
	default:
		c.Error(meshops.InvalidParam("status", "Use queued, running, succeeded, failed or canceled."))
		return
	}
	ops, next, err := s.Engine.List(c.Request.Context(), callerKey(c), f, page)
	if err != nil {
		if errors.Is(err, meshops.ErrBadCursor) {
			c.Error(meshops.InvalidParam("cursor", "Use the nextCursor of the previous page."))
			return
		}
		c.Error(err)
		return
	}
	items := make([]*operations.Resource, 0, len(ops))
	for _, op := range ops {
		items = append(items, operations.NewResource(op))
	}
	var nextCursor any
	if next != "" {
		nextCursor = next
	}
	c.PureJSON(http.StatusOK, gin.H{"items": items, "nextCursor": nextCursor})
}

// getOperation answers at once, or with ?waitSeconds=N (0–60) once the
// operation finishes or N seconds pass (long-poll).
func (s *Server) getOperation(c *gin.Context) {
	wait := 0.0
	if w := c.Query("waitSeconds"); w != "" {
		v, err := strconv.ParseFloat(w, 64)
		if err != nil || v < 0 || v > 60 {
			c.Error(meshops.InvalidParam("waitSeconds", "It must be a number of seconds from 0 to 60."))
			return
		}
		wait = v
	}
	op, err := s.Engine.Wait(c.Request.Context(), callerKey(c), c.Param("type"), time.Duration(wait*float64(time.Second)))
	if err != nil {
		c.Error(err)
		return
	}
	c.PureJSON(http.StatusOK, operations.NewResource(op))
}

// operationResult is the result object; 409/73 while unfinished; a failed
// or canceled operation's error with status 422.
func (s *Server) operationResult(c *gin.Context) {
	op, err := s.Engine.Get(c.Request.Context(), callerKey(c), c.Param("type"))
	if err != nil {
		c.Error(err)
		return
	}
	switch op.Status {
	case meshops.StatusSucceeded:
		c.Data(http.StatusOK, "application/json; charset=utf-8", op.Result)
	case meshops.StatusFailed, meshops.StatusCanceled:
		c.Error(meshops.Errorf(op.ErrorCode, "%s", op.ErrorMessage).WithStatus(http.StatusUnprocessableEntity))
	default:
		c.Error(&meshops.Error{Code: meshops.CodeNotFinished, Message: fmt.Sprintf("Operation %s is %s (%d %%); ask again later or long-poll with ?waitSeconds=.", op.ID, op.Status, op.Progress), RetryAfter: time.Second})
	}
}

// operationEvents streams server-sent events: "progress" with the resource
// at every change, then one "completed"; then the stream ends.
func (s *Server) operationEvents(c *gin.Context) {
	ctx, key, id := c.Request.Context(), callerKey(c), c.Param("type")
	op, err := s.Engine.Get(ctx, key, id)
	if err != nil {
		c.Error(err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	send := func(event string, op *meshops.Operation) {
		b, _ := json.Marshal(operations.NewResource(op))
		fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", event, b)
		c.Writer.Flush()
	}
	lastProgress, lastStatus := -1, meshops.OperationStatus("")
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		ch, stop := s.Engine.Watch(id)
		op, err = s.Engine.Get(ctx, key, id)
		if err != nil {
			stop()
			return
		}
		if op.Status.Finished() {
			stop()
			send("completed", op)
			return
		}
		if op.Progress != lastProgress || op.Status != lastStatus {
			send("progress", op)
			lastProgress, lastStatus = op.Progress, op.Status
		}
		select {
		case <-ch:
		case <-time.After(time.Second):
		case <-heartbeat.C:
			fmt.Fprint(c.Writer, ": keep-alive\n\n")
			c.Writer.Flush()
		case <-ctx.Done():
			stop()
			return
		}
		stop()
	}
}

// cancelOperation: a queued operation is canceled at once (204); a running
// one is asked to stop and does within a second (202 with the resource).
func (s *Server) cancelOperation(c *gin.Context) {
	op, err := s.Engine.Cancel(c.Request.Context(), callerKey(c), c.Param("type"))
	if err != nil {
		c.Error(err)
		return
	}
	if op.Status == meshops.StatusCanceled {
		c.Status(http.StatusNoContent)
		return
	}
	c.PureJSON(http.StatusAccepted, operations.NewResource(op))
}
