/**
 * nitrox-plugin-file-sink: an example third-party sink plugin for Nitrox. Name it in a configuration's
 * `plugins:` list and use `type: file` under `sinks:`. The default export is the plugin, which is what the
 * `nitrox` host looks for.
 */
import { fileSinkPlugin } from './plugin.js';

export { FileSink, type FileSinkOptions, managedBy } from './file-sink.js';
export { fileSinkPlugin, fileSinkSchema } from './plugin.js';
export default fileSinkPlugin;
