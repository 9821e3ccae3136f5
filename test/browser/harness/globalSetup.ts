import { bundleLibrary } from './bundle.js'

export default async function setup(): Promise<void> {
  await bundleLibrary()
}
