"""JSON log lines: one object per record, with the structured fields passed in `extra`."""

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has; anything else came from `extra` and is logged as a field.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class ClientErrorWithoutTraceback(logging.Filter):
    """Django logs a refused request (4xx) with the exception that made it, e.g. the PermissionDenied a role
    check raises on purpose: one line says it all (the refusal is in the audit trail); a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
