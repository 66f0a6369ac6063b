// Source names are the domain's (domain/source-name.ts). This re-export only keeps db/advisory-query.ts
// building until its import names the domain module; then this file goes.
export { affectedSources } from '../domain/source-name.js'
