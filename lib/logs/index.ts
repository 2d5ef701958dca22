// Task logs: Forgejo's line format, the archive of finished logs, and reading.
export { formatLine, formatTime, parseLine, logFilename, capContent, MAX_LINE_SIZE, type LogLine } from './format.js';
export { writeArchive, removeArchive } from './archive.js';
export { archiveAfterCommit, archiveFinishedTaskLog } from './store.js';
export { readTaskLog, readTaskLogPart, readTaskLogText, readJobLog, jobLogState, type ReadLogOptions, type TaskLogPart, type JobLogState } from './reader.js';
export { streamArchive, openArchive, type ArchiveRange } from './stream.js';
