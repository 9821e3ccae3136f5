/// <reference lib="webworker" />
import { installTokenInjection } from 'sw-bearer/sw'

installTokenInjection({ apiOrigins: ['https://api.example.com'] })
