// @peculiar/x509 asks for the Reflect metadata polyfill before it loads; ES modules evaluate
// their imports in order, so this module is the one door to it.
import 'reflect-metadata'
import * as x509 from '@peculiar/x509'

export { x509 }
